"""Whether a commit's checks let a hotfix go on: the required ones, reported by whom they must be.

GitHub's rules name required checks (classic protection's `checks[]` with `app_id`, rulesets'
`required_status_checks` with `integration_id`); a check with the right name from another app does
not satisfy them, and one that has not reported yet is pending, not green. Checks nobody requires
that fail are warnings, not gates. Without required checks, every check suite CI starts must pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotfix.models import RequiredCheck

GOOD_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})


@dataclass
class CheckVerdict:
    head_sha: str
    state: str  # "pending" | "success" | "failure" | "none" | "old head"
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_state(runs: list[dict[str, Any]], statuses: dict[str, Any] | None) -> tuple[str, list[str]]:
    """("pending" | "success" | "failure" | "none", failed names) from check runs and commit statuses.

    Commit statuses count only when there are some: GitHub reports `pending` for a commit without
    any, which would wait forever on a repository that uses only Actions.
    """
    pending = False
    failed: set[str] = set()
    for run in runs:
        if run.get("status") != "completed":
            pending = True
        elif run.get("conclusion") not in GOOD_CONCLUSIONS:
            failed.add(str(run.get("name")))
    count = 0
    for status in (statuses or {}).get("statuses") or []:
        count += 1
        state = status.get("state")
        if state == "pending":
            pending = True
        elif state in ("failure", "error"):
            failed.add(str(status.get("context")))
    if not runs and not count:
        return "none", []
    if pending:
        return "pending", sorted(failed)
    return ("failure" if failed else "success"), sorted(failed)


def _latest_run(runs: list[dict[str, Any]], check: RequiredCheck) -> dict[str, Any] | None:
    mine = [
        r
        for r in runs
        if r.get("name") == check.context
        and (check.app_id is None or (r.get("app") or {}).get("id") == check.app_id)
    ]
    return max(mine, key=lambda r: int(r.get("id") or 0)) if mine else None


def _latest_status(statuses: dict[str, Any] | None, context: str) -> dict[str, Any] | None:
    # The combined status holds each context's latest state.
    return next((s for s in (statuses or {}).get("statuses") or [] if s.get("context") == context), None)


def required_state(
    runs: list[dict[str, Any]], statuses: dict[str, Any] | None, required: list[RequiredCheck]
) -> tuple[str, list[str], list[str]]:
    """(state, failed required checks, warnings) over the required checks only."""
    pending = False
    failed: list[str] = []
    for check in required:
        run = _latest_run(runs, check)
        status = _latest_status(statuses, check.context) if check.app_id is None else None
        if run is not None:
            if run.get("status") != "completed":
                pending = True
            elif run.get("conclusion") not in GOOD_CONCLUSIONS:
                failed.append(check.context)
        elif status is not None:
            if status.get("state") == "pending":
                pending = True
            elif status.get("state") != "success":
                failed.append(check.context)
        else:
            pending = True  # not reported yet, or only by someone else: it must still come
    names = {c.context for c in required}
    _, all_failed = check_state([r for r in runs if r.get("name") not in names], _without(statuses, names))
    warnings = [f"check {name} failed (not required)" for name in all_failed]
    if failed:
        return "failure", sorted(failed), warnings
    return ("pending" if pending else "success"), [], warnings


def _without(statuses: dict[str, Any] | None, names: set[str]) -> dict[str, Any]:
    return {"statuses": [s for s in (statuses or {}).get("statuses") or [] if s.get("context") not in names]}


def suites_state(suites: list[dict[str, Any]]) -> str:
    """ "pending" while any suite runs (CI queues one at the push, before any check run exists)."""
    if any(s.get("status") != "completed" for s in suites):
        return "pending"
    bad = [s for s in suites if s.get("conclusion") not in GOOD_CONCLUSIONS]
    return "failure" if bad else "success"


def verdict(
    head: str,
    runs: list[dict[str, Any]],
    statuses: dict[str, Any] | None,
    required: list[RequiredCheck] | None,
    suites: list[dict[str, Any]] | None,
) -> CheckVerdict:
    """`required` None: every check counts (workflows started before required checks were read)."""
    if required:
        state, failed, warnings = required_state(runs, statuses, required)
        return CheckVerdict(head, state, failed, warnings)
    state, failed = check_state(runs, statuses)
    if suites and state != "failure" and suites_state(suites) == "pending":
        state = "pending"
    return CheckVerdict(head, state, failed)
