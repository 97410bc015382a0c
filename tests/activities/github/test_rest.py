"""Every GET of the activities goes out conditionally when the worker kept the answer behind an ETag
(activities/github/rest.py): what did not change since costs no rate-limit point, and what changed
is read, never served from what the worker kept."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from activities.github import conditional
from activities.github.rest import RepoApi
from hotfix.models import BranchRulesInput
from tests.activities.conftest import PROD, Activities
from tests.activities.helpers import REPO, client_for, run

RULESET = {
    "name": "hotfix",
    "enforcement": "active",
    "conditions": {"ref_name": {"include": ["refs/heads/prod/hotfix/*"], "exclude": []}},
    "rules": [{"type": "pull_request", "parameters": {"required_approving_review_count": 2}}],
}


def _gets(sandbox: Any, since: int) -> list[tuple[str, int]]:
    return [(r["path"], r["status"]) for r in sandbox.requests()[since:] if r["method"] == "GET"]


def test_a_read_of_what_did_not_change_is_free_and_a_change_is_read(sandbox: Any) -> None:
    acts = Activities(client_for(sandbox))
    arg = BranchRulesInput(repository=REPO, branch=PROD, pattern_prefix="prod/hotfix/")
    first = run(acts.branch_rules, arg)
    assert first.required_approvals == 1

    since = len(sandbox.requests())
    again = run(acts.branch_rules, arg)
    assert again == first
    # The prod branch does not exist yet: its 404 has no ETag to ask with, and costs a point each time.
    answers = _gets(sandbox, since)
    assert [a for a in answers if a[1] != 404] and all(status in (304, 404) for _, status in answers), answers

    # An admin tightens the rules between two reads: the next read must see it (a 200), not what the
    # worker kept.
    sandbox.configure_repo(REPO, rulesets=[RULESET])
    since = len(sandbox.requests())
    tightened = run(acts.branch_rules, arg)
    assert tightened.required_approvals == 2
    assert any(status == 200 for _, status in _gets(sandbox, since))


def test_another_worker_keeps_nothing_of_this_one(sandbox: Any) -> None:
    # What a worker kept lives in its own memory: a fresh client (another worker, a restart) reads
    # in full, answered 200.
    arg = BranchRulesInput(repository=REPO, branch=PROD, pattern_prefix="prod/hotfix/")
    run(Activities(client_for(sandbox)).branch_rules, arg)
    since = len(sandbox.requests())
    run(Activities(client_for(sandbox)).branch_rules, arg)
    answers = _gets(sandbox, since)
    assert answers and all(status in (200, 404) for _, status in answers), answers


class _Comments:
    """A list endpoint as GitHub pages it: 100 a page, a Link to the next, an ETag of the body; its 304
    carries no Link when `link_on_304` is False (the stricter reading of what GitHub sends)."""

    def __init__(self, count: int, link_on_304: bool) -> None:
        self.items = list(range(count))
        self.link_on_304 = link_on_304

    def requestJson(  # PyGithub's Requester method
        self, verb: str, url: str, params: Any, headers: Any
    ) -> tuple[int, dict[str, Any], str]:
        number = int(parse_qs(urlsplit(url).query).get("page", ["1"])[0])
        body = json.dumps(self.items[(number - 1) * 100 : number * 100])
        tag = f'W/"{hashlib.sha256(body.encode()).hexdigest()}"'
        last = (len(self.items) + 99) // 100
        link = (
            f'<https://api.github.com/repos/o/r/issues/1/comments?per_page=100&page={number + 1}>; rel="next"'
        )
        answer = {"etag": tag, **({"link": link} if number < last else {})}
        if headers and headers.get("If-None-Match") == tag:
            return 304, (answer if self.link_on_304 else {"etag": tag}), ""
        return 200, answer, body


class _Client:
    app_id = None

    def __init__(self, requester: _Comments) -> None:
        self.requester = requester
        self.bodies = conditional.Bodies()

    def requester_for(self, repository: str) -> _Comments:
        return self.requester

    def refused(self, repository: str) -> None:
        pass


@pytest.mark.parametrize("link_on_304", [False, True])
def test_a_list_whose_last_full_page_answers_304_is_still_read_to_its_new_end(link_on_304: bool) -> None:
    # Two full pages, then a 201st comment: pages 1 and 2 are unchanged (304), page 3 is new. The Link
    # kept with page 2 had no next page: trusted, it hid the new comment.
    comments = _Comments(200, link_on_304)
    api = RepoApi(_Client(comments), "o/r")  # type: ignore[arg-type]
    assert len(list(api.pages("/issues/1/comments", what="read comments"))) == 200
    comments.items.append(200)
    assert len(list(api.pages("/issues/1/comments", what="read comments"))) == 201
