"""PyGithub errors -> Temporal ApplicationErrors, without a server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from github.GithubException import GithubException, RateLimitExceededException
from temporalio.exceptions import ApplicationError

from activities.checks import check_state
from activities.github import errors
from activities.github.rest import reviewer_names

REPO = "acme/gaia-gateway"


def _raise_in_call(exc: BaseException, **kwargs: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught, errors.github_call(REPO, "create ref heads/x", **kwargs):  # type: ignore[arg-type]
        raise exc
    return caught.value


def test_primary_rate_limit_waits_until_reset() -> None:
    delay = errors.rate_limit_delay(
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000120"},
        "API rate limit exceeded for user",
        now=1000000,
    )
    assert delay == timedelta(seconds=121)


def test_secondary_rate_limit_uses_retry_after_else_a_minute() -> None:
    assert errors.rate_limit_delay(429, {"Retry-After": "17"}, "", now=0) == timedelta(seconds=17)
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    assert errors.rate_limit_delay(403, {}, message) == timedelta(seconds=60)
    assert errors.rate_limit_delay(403, {"X-RateLimit-Remaining": "4999"}, "Resource not accessible") is None
    assert errors.rate_limit_delay(500, {"Retry-After": "3"}, "") is None


def test_rate_limited_is_retryable_with_next_retry_delay() -> None:
    err = _raise_in_call(
        RateLimitExceededException(403, {"message": "API rate limit exceeded"}, {"retry-after": "42"})
    )
    assert err.type == errors.RATE_LIMITED
    assert not err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=42)


@pytest.mark.parametrize(
    ("status", "type_", "words"),
    [
        (401, errors.AUTH, "HOTFIX_GITHUB_TOKEN is invalid or expired"),
        (403, errors.FORBIDDEN, "check HOTFIX_GITHUB_TOKEN has contents:write on acme/gaia-gateway"),
        (404, errors.NOT_FOUND, "acme/gaia-gateway exists"),
        (422, errors.VALIDATION, "Reference update failed"),
        (409, errors.CONFLICT, "Fix:"),
    ],
)
def test_client_errors_are_non_retryable_and_say_what_to_do(status: int, type_: str, words: str) -> None:
    message = "Reference update failed" if status == 422 else "Nope"
    err = _raise_in_call(GithubException(status, {"message": message}, {}), permission="contents:write")
    assert err.type == type_
    assert err.non_retryable
    assert "create ref heads/x" in err.message and REPO in err.message
    assert words in err.message


def test_server_and_network_errors_are_retryable() -> None:
    err = _raise_in_call(GithubException(502, {"message": "Bad Gateway"}, {}))
    assert (err.type, err.non_retryable) == (errors.UNAVAILABLE, False)
    err = _raise_in_call(requests.exceptions.ConnectionError("connection reset"))
    assert (err.type, err.non_retryable) == (errors.UNAVAILABLE, False)
    err = _raise_in_call(requests.exceptions.ReadTimeout("read timed out"))
    assert (err.type, err.non_retryable) == (errors.UNAVAILABLE, False)


def test_registered_secrets_never_appear_in_messages() -> None:
    errors.register_secret("ghp_very-secret-value")
    err = _raise_in_call(GithubException(422, {"message": "token ghp_very-secret-value is odd"}, {}))
    assert "ghp_very-secret-value" not in err.message
    assert "***" in err.message


def test_validation_details_are_kept() -> None:
    err = GithubException(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": "x"}],
        },
        {},
    )
    assert errors.github_message(err) == "Validation Failed; x"


def test_check_state() -> None:
    done = {"status": "completed", "conclusion": "success", "name": "ci"}
    assert check_state([], {"state": "pending", "statuses": []}) == ("none", [])
    assert check_state([done], None) == ("success", [])
    assert check_state([done, {"status": "in_progress", "name": "lint"}], None)[0] == "pending"
    failed = {"status": "completed", "conclusion": "failure", "name": "lint"}
    assert check_state([done, failed], None) == ("failure", ["lint"])
    skipped = {"status": "completed", "conclusion": "skipped", "name": "docs"}
    assert check_state([done, skipped], {"statuses": [{"state": "error", "context": "jenkins"}]}) == (
        "failure",
        ["jenkins"],
    )


def test_reviewer_names_users_and_teams() -> None:
    reviewers = [
        {"type": "User", "reviewer": {"login": "prod-reviewer-2"}},
        {"type": "Team", "reviewer": {"slug": "sre"}},
        {"type": "User", "reviewer": {"login": "prod-reviewer-1"}},
    ]
    assert reviewer_names(REPO, reviewers) == ["acme/sre", "prod-reviewer-1", "prod-reviewer-2"]


def test_githubs_reasons_are_read_from_errors_as_a_string_a_list_or_objects() -> None:
    # GitHub puts the reason of some 422s in `errors` as one bare string (a non-reviewer reviewing a
    # pending deployment), of others as a list of strings or of {resource, field, code, message}.
    said = "No pending deployment requests to approve or reject"
    shapes = (
        {"errors": said},
        {"errors": [said]},
        {"errors": [{"resource": "X", "code": "custom", "message": said}]},
    )
    for shape in shapes:
        message = errors.github_message(GithubException(422, {"message": "Validation Failed", **shape}))
        assert message == f"Validation Failed; {said}", shape
