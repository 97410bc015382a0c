"""One renderer of HotfixStatus as markdown: the Temporal UI's current details and PR comments use it.

Pure and deterministic, so the workflow may call it.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from hotfix.models import HotfixRequest, HotfixStatus, Step

# The runbook's order, for the checklist; QUEUED sits between preflight and the branches.
RUNBOOK: list[tuple[Step, str]] = [
    (Step.PREFLIGHT, "0. Preflight checks"),
    (Step.QUEUED, "   Wait for earlier hotfixes of this repository"),
    (Step.BRANCHES, "1-2. Cut working and prod branches from what is deployed"),
    (Step.CHANGES, "3. Changes on the working branch"),
    (Step.TESTS, "4. Checks green"),
    (Step.PULL_REQUEST, "5. Pull request into the prod branch"),
    (Step.APPROVAL, "6. Approval and merge"),
    (Step.DEPLOY, "7. Dispatch the deploy workflow"),
    (Step.DEPLOY_APPROVAL, "8. Environment reviewers approve"),
    (Step.DEPLOYING, "8. Deployment runs"),
    (Step.BACK_MERGE, "9. Back-merge into the default branch"),
]
# Checklist marks that render in any font (escaped: the brackets are literal, never a link).
DONE, NOW, TO_DO = r"\[done\]", r"\[now\]", r"\[to do\]"
# Where nobody said who (the UI's signals carry no identity; `by` is optional).
NOT_GIVEN = "not given"
# How the webhook receiver signs its rechecks ("webhook EVENT DELIVERY"): a nudge from GitHub, no person.
WEBHOOK_SENDER = "webhook"


def webhook_summary(status: HotfixStatus) -> str:
    """The webhook receiver's rechecks in one line: how many, and the last as it came."""
    count = status.webhook_nudges
    earlier = f" (and {count - 1} earlier webhook nudge{'s' if count > 2 else ''})" if count > 1 else ""
    return f"{status.last_webhook_nudge or 'a webhook nudge'}{earlier}"


_ORDER = {step: i for i, (step, _) in enumerate(RUNBOOK)}
_ORDER[Step.DEPLOY_FAILED] = _ORDER[Step.DEPLOYING]


def duration(start: datetime, end: datetime | None) -> str:
    if end is None:
        return "…"
    seconds = int((end - start).total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def _link(text: str, url: str | None) -> str:
    return f"[{text}]({url})" if url else text


def to_markdown(status: HotfixStatus) -> str:
    lines = [f"## Hotfix `{status.repository}`: {status.description}", ""]
    lines.append(f"**Step:** `{status.step.value}`  ")
    if status.awaiting:
        who = f" ({', '.join(status.awaiting_who)})" if status.awaiting_who else ""
        lines.append(f"**Waiting for:** {status.awaiting}{who}  ")
    if status.queued_behind:
        lines.append(f"**Queued behind:** `{status.queued_behind}`  ")
    if status.message:
        lines.append(f"**Note:** {status.message}  ")
    if status.reason:
        lines.append(f"**Reason:** {status.reason}  ")
    lines.append("")
    base = f"`{status.base_ref}` @ `{status.base_sha[:12]}`" if status.base_sha else "not yet known"
    lines.append(f"- Base: {base}" + (f" (from {status.base_source})" if status.base_source else ""))
    lines.append(f"- Working branch: `{status.work_branch}`")
    lines.append(f"- Prod branch: `{status.prod_branch}`")
    if status.pull_request:
        pr = status.pull_request
        lines.append(f"- Pull request: {_link(f'#{pr.number}', pr.url)}")
    if status.merged_sha:
        lines.append(f"- Merged: `{status.merged_sha[:12]}` (what may deploy)")
    if status.run_id:
        lines.append(f"- Deploy run: {_link(str(status.run_id), status.run_url)}")
    if status.back_merge_pull_request:
        pr = status.back_merge_pull_request
        lines.append(f"- Back-merge: {_link(f'#{pr.number}', pr.url)} into `{status.default_branch}`")
    for warning in status.warnings:
        lines.append(f"- warning: {warning}")
    for ignored in status.ignored_inputs:
        lines.append(f"- ignored: {escape(ignored)}")  # it quotes what a person sent
    for approval in status.ignored_approvals:
        lines.append(f"- approval not counted: {approval}")
    for kept in status.kept_branches:
        lines.append(f"- kept branch: `{kept}`")
    if status.signals or status.webhook_nudges:
        lines += ["", "#### Signals received (UTC)", ""]
        lines += [f"- {escape(line)}" for line in status.signals]
        if status.webhook_nudges:
            lines.append(f"- {escape(webhook_summary(status))}")
    # Plain lines, not task lists or tables: the Temporal UI renders neither (checked in UI 2.54); and
    # words for the marks, not emoji, which a machine without an emoji font draws as empty boxes.
    lines += ["", "#### Runbook", ""]
    current = _ORDER.get(status.step, len(RUNBOOK) if status.step == Step.DONE else -1)
    for step, label in RUNBOOK:
        index = _ORDER[step]
        here = step == status.step or (status.step == Step.DEPLOY_FAILED and step == Step.DEPLOYING)
        mark = DONE if status.step == Step.DONE or index < current else NOW if here else TO_DO
        lines.append(f"{mark} {label.strip()}  ")
    if status.timeline:
        lines += ["", "#### Timeline (UTC)", ""]
        for event in status.timeline:
            started = event.started_at.strftime("%Y-%m-%d %H:%M:%S")
            took = duration(event.started_at, event.ended_at)
            lines.append(f"- `{event.step.value}` started {started}, took {took}")
    text = "\n".join(lines)
    # The UI keeps at most 20,000 bytes of current details.
    return text if len(text.encode()) <= 19_000 else text.encode()[:19_000].decode(errors="ignore")


def workflow_link(ui_base_url: str | None, namespace: str, workflow_id: str) -> str:
    """A markdown link to the hotfix in the Temporal UI, or its ID when no UI address is set.

    IDs contain `/`, so the whole ID is one encoded path segment (the UI's own form).
    """
    if not ui_base_url:
        return f"`{workflow_id}`"
    return workflow_url(ui_base_url, namespace, workflow_id)


def workflow_url(ui_url: str, namespace: str, workflow_id: str) -> str:
    """The Temporal UI page of a workflow."""
    return (
        f"{ui_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{quote(workflow_id, safe='')}"
    )


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape(text: str) -> str:
    """`text` as one line of literal markdown: what a person typed cannot add lines, links or bold."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def _incident(incident: str) -> str:
    """A URL as an autolink (the starter admits no spaces or angle brackets in it), a key as text."""
    return f"<{incident}>" if incident.startswith(("https://", "http://")) else escape(incident)


def _person(login: str) -> str:
    """A GitHub mention, or "not given" as words when nobody said who."""
    return NOT_GIVEN if login == NOT_GIVEN else f"@{escape(login)}"


def pr_title(text: str) -> str:
    """A PR title: one line, within GitHub's 256 characters."""
    line = " ".join(text.split())
    return line if len(line) <= 256 else line[:255] + "…"


def hotfix_title(request: HotfixRequest) -> str:
    """The hotfix PR's title (and its merge commit's): the description, then the incident if any."""
    return pr_title(f"Hotfix: {request.description}{_incident_suffix(request)}")


def back_merge_title(request: HotfixRequest, target: str) -> str:
    return pr_title(f"Back-merge hotfix {request.description} into {target}{_incident_suffix(request)}")


def _incident_suffix(request: HotfixRequest) -> str:
    return f" ({' '.join(request.incident.split())})" if request.incident else ""


def pr_body(request: HotfixRequest, status: HotfixStatus, link: str, *, back_merge: bool = False) -> str:
    """The description of the hotfix PR, or of its back-merge PR."""
    lines = [
        f"**Hotfix:** {escape(request.description)}",
        *([f"**Incident:** {_incident(request.incident)}"] if request.incident else []),
        f"**Requested by:** {_person(request.requested_by)}",
        f"**Base:** `{status.base_ref}` @ `{status.base_sha}` ({status.base_source})",
        f"**Workflow:** {link}",
    ]
    if back_merge:
        lines.insert(0, "Back-merge of a deployed hotfix, so the next regular release keeps it.\n")
    return "\n".join(lines)
