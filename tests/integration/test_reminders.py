"""Reminders name who is awaited (#8 item 7), with GitHub choosing the reviewers as it does.

The time-skipping tests (tests/workflows/test_every_wait.py) cover every wait against a fake GitHub;
here the real activities read who GitHub asked: the CODEOWNERS of the changed files, which GitHub
requests by itself when the PR opens.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from local.humans import FIX_PATH, wait_for
from sandbox.seed import repo_spec
from tests.integration.conftest import REPO, hotfix_worker, seeded_sandbox
from tests.integration.test_reviewed_only import at_approval, stop

pytestmark = pytest.mark.integration


def reminders(sandbox: Any, number: int) -> list[str]:
    requester = sandbox.github().requester
    _, comments = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/issues/{number}/comments")
    return [c["body"] for c in comments if c["body"].startswith("⏰ Reminder")]


async def test_the_approval_reminder_names_the_code_owners_github_asked(
    local_env: WorkflowEnvironment, task_queue: str, unique: str, tmp_path: Path
) -> None:
    def owned(seed: dict[str, Any]) -> None:
        seed["teams"] = [{"org": "acme", "slug": "gateway-owners", "members": ["prod-reviewer-2"]}]
        repo_spec(seed).setdefault("teams", {})["gateway-owners"] = "write"
        repo_spec(seed)["branches"][0]["commits"].append(
            {
                "message": "Code owners",
                "author": "dev-1",
                "files": {".github/CODEOWNERS": f"* @prod-reviewer-1\n/{FIX_PATH} @acme/gateway-owners\n"},
            }
        )

    with seeded_sandbox(tmp_path, owned) as sandbox:
        async with hotfix_worker(local_env, sandbox, task_queue):
            scene = await at_approval(
                local_env, sandbox, task_queue, unique, reminder_interval=timedelta(seconds=2)
            )
            handle, _, status, _, number = scene
            status = await wait_for(
                handle, lambda s: "acme/gateway-owners" in s.awaiting_who, "the code owners awaited"
            )
            assert status.awaiting_who == ["acme/gateway-owners"]
            for _ in range(100):
                if reminders(sandbox, number):
                    break
                await asyncio.sleep(0.1)
            found = await asyncio.to_thread(reminders, sandbox, number)
            assert found and "@acme/gateway-owners" in found[0].splitlines()[0]
            await stop(handle)
