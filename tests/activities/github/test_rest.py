"""Every GET of the activities goes out conditionally when the worker kept the answer behind an ETag
(activities/github/rest.py): what did not change since costs no rate-limit point, and what changed
is read, never served from what the worker kept."""

from __future__ import annotations

from typing import Any

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
