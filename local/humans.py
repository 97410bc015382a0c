"""The humans of the runbook, played through the GitHub API as the sandbox's seeded users.

Used by `make demo` and reusable by integration tests: each act first waits, on the workflow's
`status` query, until the hotfix is at the step where a human would act, then acts on GitHub the
way that person would (never through the workflow's own activities).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from github import Auth, Github
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from hotfix.models import ChangesReadySignal, HotfixStatus, Step

# What a query whose worker died meanwhile gets instead of an answer.
UNANSWERED = {RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE}

# The sandbox's seeded users (sandbox/seed.py); the values are the sandbox's, not secrets.
DEV = ("dev-1", "sandbox-dev-token")
REVIEWER_1 = ("prod-reviewer-1", "sandbox-reviewer-1-token")
REVIEWER_2 = ("prod-reviewer-2", "sandbox-reviewer-2-token")
DEFAULT_REPOSITORY = "acme/gaia-gateway"

FIX_PATH = "app.py"
FIX_CONTENT = """def handle(request):
    # Hotfix: never redirect a login back to itself.
    if request.get("path") == "/login":
        return {"status": "ok", "redirect": "/"}
    return {"status": "ok"}
"""


class HumanTimeout(AssertionError):
    """The hotfix did not reach the step a human waits for; carries the last status seen."""


@dataclass
class Humans:
    """The seeded people, each with their own token, acting on one repository."""

    github_url: str
    repository: str = DEFAULT_REPOSITORY

    def _repo(self, token: str) -> Any:
        # No retries: the sandbox is local, and a failure here should show, not be papered over.
        github = Github(base_url=self.github_url, auth=Auth.Token(token), retry=None)
        return github.get_repo(self.repository)

    def _call(self, verb: str, path: str, body: dict[str, Any] | None = None, *, token: str = DEV[1]) -> Any:
        """A request under the repository as the person whose token it is (dev-1 unless said)."""
        repo = self._repo(token)
        _, data = repo.requester.requestJsonAndCheck(verb, f"{repo.url}{path}", input=body)
        return data

    def push_change(
        self, branch: str, path: str = FIX_PATH, content: str = FIX_CONTENT, *, token: str = DEV[1]
    ) -> str:
        """dev-1 (or whoever `token` is) commits the fix on `branch` with the contents API; returns the
        commit sha."""
        repo = self._repo(token)
        current = repo.get_contents(path, ref=branch)
        result = repo.update_file(path, "Fix login redirect loop", content, current.sha, branch=branch)
        sha: str = result["commit"].sha
        return sha

    def approve_pull_request(
        self,
        number: int,
        body: str = "Looks good, approved for prod.",
        *,
        commit_id: str | None = None,
        token: str = REVIEWER_1[1],
    ) -> None:
        """prod-reviewer-1 (or whoever `token` is) approves the PR; `commit_id` is the commit they saw
        (GitHub records the review on it; without it, on the PR's head at that moment)."""
        review: dict[str, Any] = {"body": body, "event": "APPROVE"}
        if commit_id:
            review["commit_id"] = commit_id
        self._call("POST", f"/pulls/{number}/reviews", review, token=token)

    def edit_pull_request(self, number: int, **fields: Any) -> None:
        """dev-1 edits the PR as people do on GitHub: retarget it (`base=`), close or reopen it (`state=`)."""
        self._call("PATCH", f"/pulls/{number}", fields)

    def open_pull_request(self, head: str, base: str, title: str = "Hotfix, opened again by hand") -> int:
        """dev-1 opens a PR from `head` into `base`, as people do after closing one; returns its number."""
        data = self._call("POST", "/pulls", {"head": head, "base": base, "title": title})
        return int(data["number"])

    def merge_branch(self, base: str, head: str) -> str:
        """dev-1 merges `head` into `base` by hand (`POST /merges`); returns the merge commit sha."""
        data = self._call("POST", "/merges", {"base": base, "head": head})
        return str((data or {}).get("sha") or "")

    def resolve_by_hand(self, base: str, head: str, path: str, content: str) -> str:
        """dev-1 merges `head` into `base` on their machine, resolves the conflict in `path` to
        `content` and pushes `base` (through the git data API: the merge commit, then the ref);
        GitHub then shows a PR `head -> base` as merged. Returns the merge commit's sha."""
        base_sha = self._call("GET", f"/git/ref/heads/{base}")["object"]["sha"]
        head_sha = self._call("GET", f"/git/ref/heads/{head}")["object"]["sha"]
        base_tree = self._call("GET", f"/git/commits/{base_sha}")["tree"]["sha"]
        tree = self._call(
            "POST",
            "/git/trees",
            {
                "base_tree": base_tree,
                "tree": [{"path": path, "mode": "100644", "type": "blob", "content": content}],
            },
        )
        merge = self._call(
            "POST",
            "/git/commits",
            {"message": f"Merge {head} into {base}", "tree": tree["sha"], "parents": [base_sha, head_sha]},
        )
        self._call("PATCH", f"/git/refs/heads/{base}", {"sha": merge["sha"]})
        return str(merge["sha"])

    def dispatch_by_hand(self, ref: str, workflow: str = "deploy.yml") -> None:
        """dev-1 presses "Run workflow" on `ref`, as the runbook's step 7 did by hand."""
        self._call("POST", f"/actions/workflows/{workflow}/dispatches", {"ref": ref, "inputs": {}})

    def approve_deployment(
        self,
        run_id: int,
        *,
        comment: str = "Approved for prod.",
        timeout: float = 30.0,
        token: str = REVIEWER_2[1],
        state: str = "approved",
    ) -> list[str]:
        """prod-reviewer-2 approves the run waiting for the environment (`state="rejected"`: rejects it);
        returns the environments.

        The run shows pending deployments only once it waits for reviewers, so look until it does.
        """
        repo = self._repo(token)
        requester = repo.requester
        path = f"/repos/{self.repository}/actions/runs/{run_id}/pending_deployments"
        deadline = time.monotonic() + timeout
        while True:
            _, pending = requester.requestJsonAndCheck("GET", path)
            if pending:
                break
            if time.monotonic() > deadline:
                raise HumanTimeout(f"run {run_id} never waited for an environment approval")
            time.sleep(0.2)
        ids = [item["environment"]["id"] for item in pending]
        requester.requestJsonAndCheck(
            "POST", path, input={"environment_ids": ids, "state": state, "comment": comment}
        )
        return [item["environment"]["name"] for item in pending]

    def merge_pull_request(self, number: int) -> str:
        """dev-1 merges the back-merge PR into the default branch; returns the merge commit sha."""
        status = self._repo(DEV[1]).get_pull(number).merge(merge_method="merge")
        sha: str = status.sha
        return sha


async def wait_for(
    handle: WorkflowHandle[Any, Any],
    ready: Callable[[HotfixStatus], bool],
    what: str,
    *,
    within: float = 60.0,
    interval: float = 0.2,
) -> HotfixStatus:
    """Query `status` until `ready` holds; fail at once if the hotfix ended instead.

    A query is answered by a worker: one killed (or stopping) as it answers makes the server cancel
    it. That is no answer, so it is asked again, until `within` is up."""
    deadline = time.monotonic() + within
    while True:
        try:
            status: HotfixStatus = await handle.query("status", result_type=HotfixStatus)
        except RPCError as err:
            if err.status not in UNANSWERED or time.monotonic() > deadline:
                raise
            await asyncio.sleep(interval)
            continue
        if ready(status):
            return status
        if status.step.terminal:
            raise HumanTimeout(f"waiting for {what}, the hotfix ended {status.step.value}: {status.reason}")
        if time.monotonic() > deadline:
            raise HumanTimeout(
                f"waiting for {what} for {within:.0f}s; the hotfix is at {status.step.value} "
                f"(awaiting: {status.awaiting}; note: {status.message})"
            )
        await asyncio.sleep(interval)


def _noop(_: str) -> None:
    return None


async def play_happy_path(
    client: Client,
    workflow_id: str,
    humans: Humans,
    *,
    on_act: Callable[[str], None] = _noop,
    within: float = 60.0,
) -> HotfixStatus:
    """Every human act of a hotfix, in order; returns the status once the hotfix is done."""
    handle = client.get_workflow_handle(workflow_id)

    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "step 3 (changes)", within=within)
    sha = await asyncio.to_thread(humans.push_change, status.work_branch)
    on_act(f"{DEV[0]} pushed {sha[:7]} to {status.work_branch}")
    await handle.signal("changes_ready", ChangesReadySignal(by=DEV[0]))
    on_act(f"{DEV[0]} sent changes_ready")

    status = await wait_for(
        handle,
        lambda s: s.step == Step.APPROVAL and s.pull_request is not None,
        "step 6 (PR approval)",
        within=within,
    )
    assert status.pull_request is not None
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    on_act(f"{REVIEWER_1[0]} approved PR #{status.pull_request.number}")

    status = await wait_for(
        handle,
        lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None,
        "step 8 (deploy approval)",
        within=within,
    )
    assert status.run_id is not None
    environments = await asyncio.to_thread(humans.approve_deployment, status.run_id)
    on_act(f"{REVIEWER_2[0]} approved deploy run {status.run_id} for {', '.join(environments)}")

    status = await wait_for(
        handle,
        lambda s: s.step == Step.BACK_MERGE and s.back_merge_pull_request is not None,
        "step 9 (back-merge)",
        within=within,
    )
    assert status.back_merge_pull_request is not None
    number = status.back_merge_pull_request.number
    await asyncio.to_thread(humans.merge_pull_request, number)
    on_act(f"{DEV[0]} merged back-merge PR #{number} into {status.default_branch}")

    return await wait_for(handle, lambda s: s.step == Step.DONE, "the end", within=within)
