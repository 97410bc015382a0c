"""Rich views of HotfixStatus and PreflightResult for the terminal (`starter.py`, `make demo`).

The same model the UI's current details render (hotfix/render.py), drawn for a terminal; the runbook
order and the duration format come from there so the two views never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hotfix.models import HotfixStatus, PreflightResult, Step, StepEvent
from hotfix.render import RUNBOOK, duration

_TERMINAL_STYLE = {
    Step.DONE: "bold green",
    Step.ABORTED: "bold yellow",
    Step.EXPIRED: "bold yellow",
    Step.FAILED: "bold red",
}
_OUTCOME = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red")}


def step_durations(timeline: Iterable[StepEvent], now: datetime | None = None) -> dict[Step, timedelta]:
    """Time spent per step; a step entered twice (a re-run deploy) adds up; an open one counts to `now`."""
    totals: dict[Step, timedelta] = {}
    current = now or datetime.now(UTC)
    for event in timeline:
        end = event.ended_at or current
        totals[event.step] = totals.get(event.step, timedelta()) + max(end - event.started_at, timedelta())
    return totals


def fmt_duration(delta: timedelta) -> str:
    """Tenths of a second for short steps (the demo, automated steps), else the UI's format."""
    seconds = delta.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f}s"
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return duration(start, start + delta)


def _row_state(step: Step, status: HotfixStatus, seen: set[Step]) -> tuple[str, str]:
    current = status.step
    if step == current or (current == Step.DEPLOY_FAILED and step == Step.DEPLOYING):
        return ("▶", "bold cyan") if current != Step.DEPLOY_FAILED else ("✘", "bold red")
    if step in seen:
        # A step that was entered and left is done, also when the hotfix ended later on.
        return "✔", "green"
    if current == Step.DONE:
        return "-", "dim"  # skipped: e.g. no queue, or the back-merge found nothing to merge
    return "·", "dim"


def status_view(
    status: HotfixStatus,
    *,
    url: str | None = None,
    now: datetime | None = None,
    worker: list[str] | None = None,
    retrying: str | None = None,
) -> RenderableType:
    """One panel: what the hotfix is, where it stands, what it waits for, the runbook checklist;
    `retrying`: a GitHub call Temporal is retrying now, and its last error (e.g. GitHub unreachable)."""
    header = Text()
    header.append(f"{status.repository}", style="bold")
    header.append(f"  {status.description}\n")
    step_style = _TERMINAL_STYLE.get(status.step, "bold cyan")
    header.append("step: ")
    header.append(status.step.value, style=step_style)
    if status.awaiting and not status.step.terminal:
        who = f" ({', '.join(status.awaiting_who)})" if status.awaiting_who else ""
        header.append(f"\nwaiting for: {status.awaiting}{who}", style="yellow")
    if status.queued_behind:
        header.append(f"\nqueued behind: {status.queued_behind}", style="yellow")
    for note in worker or []:
        header.append(f"\nworker: {note}", style="yellow")
    if status.message:
        header.append(f"\nnote: {status.message}")
    if status.reason:
        header.append(f"\nreason: {status.reason}", style=step_style)
    if retrying and not status.step.terminal:
        header.append(f"\nretrying: {retrying}", style="red")

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim", no_wrap=True)
    # Fold, never cut: IDs and URLs are for copying.
    facts.add_column(overflow="fold")
    if status.base_sha:
        source = f" (from {status.base_source})" if status.base_source else ""
        facts.add_row("base", f"{status.base_ref} @ {status.base_sha[:12]}{source}")
    facts.add_row("working branch", status.work_branch)
    facts.add_row("prod branch", status.prod_branch)
    if status.pull_request:
        facts.add_row("pull request", f"#{status.pull_request.number} {status.pull_request.url}")
    if status.run_id:
        facts.add_row("deploy run", f"{status.run_id} {status.run_url or ''}".rstrip())
    if status.back_merge_pull_request:
        pr = status.back_merge_pull_request
        facts.add_row("back-merge", f"#{pr.number} {pr.url} into {status.default_branch}")
    facts.add_row("requested by", status.requested_by)
    if url:
        facts.add_row("Temporal UI", url)

    steps = Table(box=None, show_header=True, header_style="dim", pad_edge=False)
    steps.add_column("", width=1)
    steps.add_column("runbook step")
    steps.add_column("took", justify="right")
    seen = {event.step for event in status.timeline}
    spent = step_durations(status.timeline, now)
    if status.step == Step.DEPLOY_FAILED and Step.DEPLOY_FAILED in spent:
        spent[Step.DEPLOYING] = spent.get(Step.DEPLOYING, timedelta()) + spent[Step.DEPLOY_FAILED]
    for step, label in RUNBOOK:
        if step == Step.QUEUED and step not in seen:
            continue  # only worth a line when the hotfix actually waited behind another
        mark, style = _row_state(step, status, seen)
        took = fmt_duration(spent[step]) if step in spent else ""
        steps.add_row(Text(mark, style=style), Text(label.strip(), style=style if mark != "·" else ""), took)

    parts: list[RenderableType] = [header, Text(), facts, Text(), steps]
    for warning in status.warnings:
        parts.append(Text(f"⚠ {warning}", style="yellow"))
    for ignored in status.ignored_inputs:
        parts.append(Text(f"ignored: {ignored}", style="yellow"))
    for approval in status.ignored_approvals:
        parts.append(Text(f"approval not counted: {approval}", style="yellow"))
    for kept in status.kept_branches:
        parts.append(Text(f"kept branch: {kept}", style="cyan"))
    title = status.workflow_id or f"hotfix {status.repository}"
    return Panel(Group(*parts), title=title, title_align="left", border_style=step_style.split()[-1])


def doctor_view(repository: str, result: PreflightResult) -> RenderableType:
    table = Table(title=f"Preflight of {repository}", title_justify="left", show_lines=False)
    table.add_column("", width=1)
    table.add_column("check")
    table.add_column("detail")
    table.add_column("fix")
    for check in result.checks:
        mark, style = _OUTCOME.get(check.outcome, ("?", "magenta"))
        table.add_row(Text(mark, style=style), check.name, check.detail, check.fix or "")
    extra: list[RenderableType] = [table]
    if result.reviewers:
        extra.append(Text(f"environment reviewers: {', '.join(result.reviewers)}", style="dim"))
    if result.default_branch:
        extra.append(Text(f"back-merges go to: {result.default_branch}", style="dim"))
    return Group(*extra)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as pydantic writes the status's times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def status_line(status: HotfixStatus, now: datetime) -> str:
    """One line for `watch` when piped: when, which hotfix, its step, and what it waits for or why."""
    line = f"{iso(now)} {status.workflow_id or status.repository} {status.step.value}"
    if status.step.terminal:
        detail = status.reason or status.message
    elif status.awaiting:
        who = f" ({', '.join(status.awaiting_who)})" if status.awaiting_who else ""
        detail = f"waiting for {status.awaiting}{who}"
    else:
        detail = status.message
    return f"{line}: {' '.join(detail.split())}" if detail else line


def list_view(rows: list[dict[str, Any]]) -> RenderableType:
    if not rows:
        return Text("no hotfixes match", style="dim")
    table = Table(show_lines=False)
    table.add_column("workflow id", overflow="fold")
    for column in ("step", "status", "started"):
        table.add_column(column)
    for row in rows:
        known = row.get("step") in Step._value2member_map_
        style = _TERMINAL_STYLE.get(Step(row["step"]), "") if known else ""
        started = datetime.fromisoformat(row["started"].replace("Z", "+00:00")).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )
        table.add_row(row["workflow_id"], Text(row.get("step") or "?", style=style), row["status"], started)
    return table
