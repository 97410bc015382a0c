"""The fault matrix (#9 item 6): each kind of GitHub failure, at every write of a hotfix that ships.

One hotfix per fault kind, with every write point failing once in that way; the hotfix still ships,
each effect exists once, and every retry comes when it should: a rate limit is waited out exactly
as long as GitHub asks (not hammered, not over-waited). Every cell is `slow`: `make test-all` (CI)
runs them all, `make bench` writes the table to bench/RESULTS.md (HOTFIX_FAULT_TABLE names the file
the rows go to); `make test`'s representative cut is tests/integration/test_lost_answers.py.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from local.humans import DEV, Humans
from tests.integration.conftest import REPO, hotfix_worker, start
from tests.integration.test_lost_answers import SHIPPING_WRITES, every_fault_was_hit, no_comment_twice, ship

pytestmark = pytest.mark.integration

SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}
PRIMARY = {"message": "API rate limit exceeded for installation ID 1."}
HTTP_TIMEOUT = 2.0  # the matrix worker's GitHub timeout, so "slow" costs seconds, not 15 s per write
SETTLE = 4.0  # the integration worker's request_limit (tests/integration/conftest.py)
RESET_IN = 4  # seconds until the primary rate limit's window resets, from when the faults are set


def kinds() -> dict[str, dict[str, Any]]:
    reset = int(time.time()) + RESET_IN
    return {
        "500": {"status": 500},
        "502": {"status": 502},
        "503": {"status": 503},
        "slow (past the timeout)": {"delay": HTTP_TIMEOUT + 1.5},
        "dropped before applying": {"drop": True},
        "dropped after applying": {"drop": True, "applied": True},
        "502 after applying": {"status": 502, "applied": True},
        "secondary rate limit (Retry-After: 2)": {
            "status": 403,
            "body": SECONDARY,
            "headers": {"Retry-After": "2"},
        },
        "primary rate limit (X-RateLimit-Reset)": {
            "status": 403,
            "body": PRIMARY,
            "headers": {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
                "X-RateLimit-Resource": "core",
            },
        },
    }


KINDS = list(kinds())


@dataclass
class Cell:
    write: str
    requests: int  # to this write point, from the faulted one to the first that succeeded
    lost: float  # seconds from the faulted request to the next try
    faulted_at: float
    retried_at: float


def ok(status: int | None) -> bool:
    """Answered: done, or told it was done already (422 "already exists"), not failed or limited."""
    return status is not None and status < 500 and status not in (403, 429)


def cells(sandbox: Any) -> list[Cell]:
    log = sandbox.requests()
    out: list[Cell] = []
    for write, (method, path) in SHIPPING_WRITES.items():
        hits = [
            r for r in log if r["method"] == method and re.fullmatch(path, r["path"].removeprefix("/api/v3"))
        ]
        first = next(i for i, r in enumerate(hits) if r.get("fault"))
        after = hits[first + 1 :]
        at = hits[first]["timestamp"]
        if not after:
            # The late write landed, and the retry found it by reading: one request in all.
            out.append(Cell(write=write, requests=1, lost=0.0, faulted_at=at, retried_at=at))
            continue
        done = next((i for i, r in enumerate(after) if ok(r["status"])), len(after) - 1)
        out.append(
            Cell(
                write=write,
                requests=done + 2,
                lost=after[0]["timestamp"] - at,
                faulted_at=at,
                retried_at=after[0]["timestamp"],
            )
        )
    return out


def write_rows(kind: str, found: list[Cell], seconds: float) -> None:
    target = os.environ.get("HOTFIX_FAULT_TABLE")
    if not target:
        return
    with Path(target).open("a") as table:
        for cell in found:
            table.write(f"| {kind} | {cell.write} | shipped, once | {cell.requests} | {cell.lost:.1f} |\n")
        table.write(f"| {kind} | (whole hotfix) | done | | {seconds:.0f} s end to end |\n")


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.slow) for k in KINDS])
async def test_every_write_survives_each_kind_of_failure(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str, kind: str
) -> None:
    fault = kinds()[kind]
    repo = sandbox.github().get_repo(REPO)
    release_fix = repo.get_branch("develop").commit.sha
    for method, path in SHIPPING_WRITES.values():
        sandbox.add_fault(method, path, count=1, **fault)
    began = time.monotonic()
    async with hotfix_worker(local_env, sandbox, task_queue, github_timeout=HTTP_TIMEOUT):
        handle = await start(
            local_env.client, task_queue, unique, cherry_picks=[release_fix], pr_reviewers=["prod-reviewer-1"]
        )
        final = await ship(handle, Humans(sandbox.api_url, REPO), sandbox)
    seconds = time.monotonic() - began
    every_fault_was_hit(sandbox)
    pulls = list(repo.get_pulls(state="all"))
    assert len(pulls) == 2 and sorted(p.merged_by.login for p in pulls if p.merged) == sorted(
        ["hotfix-bot", DEV[0]]
    )
    assert len(list(repo.get_workflow("deploy.yml").get_runs(branch=final.prod_branch))) == 1
    assert repo.compare(final.base_sha or "", final.work_branch).ahead_by == 1
    no_comment_twice(sandbox, *(p.number for p in pulls))
    found = cells(sandbox)
    if "rate limit" in kind:
        # One retry, when GitHub said: never earlier (hammering), at most 4 s later (over-waiting; the
        # bound leaves room for a loaded CI machine).
        # A retried comment or dispatch first lets whatever an earlier attempt sent land (GitHub's
        # request limit; 4 s against the sandbox), since neither can be told apart from a new one.
        for cell in found:
            assert cell.requests == 2, (cell.write, cell.requests)
            if "Retry-After" in kind:
                asked = cell.faulted_at + 2
            else:
                asked = max(cell.faulted_at, float(fault["headers"]["X-RateLimit-Reset"]))
            settle = SETTLE if cell.write in ("comment on a PR", "dispatch") else 0.0
            late = cell.retried_at - asked
            assert -0.05 <= late <= settle + 4.0, (cell.write, late)
    write_rows(kind, found, seconds)
    assert Counter(p.state for p in pulls) == {"closed": 2}
