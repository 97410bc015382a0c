"""The deploy runs a hotfix's dispatch made: found by workflow, branch, sha, time and the bot's login.

Shared by the dispatch (activities/deploy.py), which adopts the oldest, and the wait for the run
(activities/waits.py), which cancels any other: a dispatch retried after a late answer makes two.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from activities.github.rest import RepoApi, parse_time, q
from activities.log import logger
from hotfix.models import DispatchInput, RunRef

# Tolerated difference between workflow time and GitHub's clock when deciding whether a run is ours.
CLOCK_SKEW = timedelta(minutes=2)


def since_dispatch(input: DispatchInput, skew: timedelta = CLOCK_SKEW) -> datetime:
    """The earliest creation time a run of this dispatch can show (GitHub's clock may run behind)."""
    at = input.not_before if input.not_before.tzinfo else input.not_before.replace(tzinfo=UTC)
    return at - skew


def runs_of(api: RepoApi, input: DispatchInput, since: datetime, me: str | None) -> list[dict[str, Any]]:
    """The workflow_dispatch runs of the workflow on the branch created since `since`, made by `me`
    and at `input.head_sha` when given, oldest first: someone's manual run is not the hotfix's."""
    found: list[tuple[datetime, dict[str, Any]]] = []
    for run in api.pages(
        f"/actions/workflows/{q(input.workflow)}/runs",
        what=f"list runs of {input.workflow} on {input.ref}",
        key="workflow_runs",
        params={
            "branch": input.ref,
            "event": "workflow_dispatch",
            "created": f">={since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        },
        permission="actions:read",
    ):
        created = parse_time(run.get("created_at"))
        if created is None:
            continue
        if created < since:
            break  # runs come newest first: everything further is older still
        if run.get("head_branch") != input.ref or run.get("event") != "workflow_dispatch":
            continue
        if input.head_sha and run.get("head_sha") != input.head_sha:
            continue
        actor = (run.get("triggering_actor") or run.get("actor") or {}).get("login")
        if me and actor and actor != me:
            continue
        found.append((created, run))
    return [run for _, run in sorted(found, key=lambda pair: (pair[0], pair[1]["id"]))]


def ref_of(run: dict[str, Any], *, created: bool) -> RunRef:
    return RunRef(run_id=int(run["id"]), url=str(run["html_url"]), created=created)


def cancel_strays(api: RepoApi, runs: list[dict[str, Any]], keep: int) -> list[int]:
    """Cancel every run in `runs` but `keep` that has not completed; the IDs cancelled."""
    cancelled: list[int] = []
    for run in runs:
        if int(run["id"]) == keep or run.get("status") == "completed":
            continue
        reply = api.call(
            "POST",
            f"/actions/runs/{run['id']}/cancel",
            what=f"cancel stray run {run['id']}",
            permission="actions:write",
            expect=(409,),  # completed meanwhile: nothing to cancel
        )
        if reply.ok:
            cancelled.append(int(run["id"]))
            logger("activities.runs").warning(
                "stray deploy run cancelled", github_run_id=run["id"], kept=keep
            )
    return cancelled
