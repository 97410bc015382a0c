"""GitHub errors as a worker sees them through the activities: bad tokens, 5xx, rate limits."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.github import errors
from hotfix.models import (
    CompareInput,
    CreateBranchInput,
    FindBaseInput,
)
from tests.activities.conftest import (
    PROD,
    Activities,
    head,
)
from tests.activities.helpers import (
    BOT_TOKEN,
    REPO,
    client_for,
    count,
    run,
)

SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
# PyGithub dispatches to the workflow's URL, which holds its numeric id.
DISPATCH = r"/repos/acme/gaia-gateway/actions/workflows/[^/]+/dispatches"


def test_bad_token_is_non_retryable_and_never_shown(sandbox: Any) -> None:
    token = "ghp_not-a-valid-token-123"
    acts = Activities(client_for(sandbox, token=token))
    with pytest.raises(ApplicationError) as caught:
        run(acts.find_base, FindBaseInput(repository=REPO, environment="prod", main_branch="main"))
    err = caught.value
    assert err.type == errors.AUTH and err.non_retryable
    assert REPO in err.message and "HOTFIX_GITHUB_TOKEN" in err.message
    assert token not in err.message and token not in repr(err.__cause__) and err.__cause__ is None
    assert BOT_TOKEN not in err.message


def test_502_on_a_write_is_retryable_and_the_retry_succeeds(acts: Activities, sandbox: Any) -> None:
    sha = head(sandbox, "main")
    sandbox.add_fault(
        "POST", r"/repos/acme/gaia-gateway/git/refs", status=502, body={"message": "Bad Gateway"}
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    assert caught.value.type == errors.UNAVAILABLE and not caught.value.non_retryable
    assert run(
        acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha), attempt=2
    ).created


def test_502_on_a_read_is_absorbed_by_the_short_in_process_retry(acts: Activities, sandbox: Any) -> None:
    sandbox.add_fault(
        "GET", r"/repos/acme/gaia-gateway/compare/.*", status=502, body={"message": "Bad Gateway"}
    )
    assert run(acts.compare, CompareInput(repository=REPO, base="main", head="develop")).ahead_by == 3


def test_secondary_rate_limit_sets_next_retry_delay_from_retry_after(acts: Activities, sandbox: Any) -> None:
    sandbox.add_fault(
        "POST",
        r"/repos/acme/gaia-gateway/git/refs",
        status=403,
        body={"message": SECONDARY},
        headers={"Retry-After": "30"},
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=head(sandbox, "main")))
    assert caught.value.type == errors.RATE_LIMITED and not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=30)


def test_secondary_rate_limit_on_a_read_is_not_slept_in_process(acts: Activities, sandbox: Any) -> None:
    sandbox.add_fault(
        "GET",
        r"/repos/acme/gaia-gateway/compare/.*",
        status=429,
        body={"message": "You have exceeded a secondary rate limit."},
        headers={"Retry-After": "600"},
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.compare, CompareInput(repository=REPO, base="main", head="develop"))
    assert caught.value.next_retry_delay == timedelta(seconds=600)
    assert count(sandbox, "GET", r"/repos/acme/gaia-gateway/compare/.*") == 1


def test_primary_rate_limit_waits_until_the_reset(acts: Activities, sandbox: Any) -> None:
    reset = int(time.time()) + 1200
    sandbox.add_fault(
        "GET",
        r"/repos/acme/gaia-gateway/compare/.*",
        status=403,
        body={"message": "API rate limit exceeded for user ID 1."},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset), "X-RateLimit-Limit": "5000"},
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.compare, CompareInput(repository=REPO, base="main", head="develop"))
    err = caught.value
    assert err.type == errors.RATE_LIMITED and not err.non_retryable
    assert err.next_retry_delay is not None
    assert timedelta(seconds=1100) < err.next_retry_delay <= timedelta(seconds=1201)
