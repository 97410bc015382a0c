"""The change record as markdown: the hotfix PR's closing comment, `starter.py record --markdown`
and the demo's last words. What people typed is escaped, so it cannot add lines, links or bold."""

from __future__ import annotations

from hotfix.models.record import ChangeRecord
from hotfix.render import escape

# Finds the record's own comment on the PR again, so it is edited in place rather than posted twice.
MARKER = "<!-- hotfix-change-record -->"


def _sha(sha: str | None) -> str:
    return f"`{sha[:12]}`" if sha else "-"


def _who(login: str | None) -> str:
    return f"@{escape(login)}" if login else "-"


def record_markdown(record: ChangeRecord) -> str:
    lines = [
        MARKER,
        f"## Change record: hotfix {escape(record.description)} ({record.step})",
        "",
        f"- **Repository:** `{record.repository}`; **workflow:** `{record.workflow_id}`"
        + (f" ([Temporal UI]({record.ui_url}))" if record.ui_url else ""),
        f"- **Requested by:** {_who(record.requested_by)}"
        + (f"; **incident:** {escape(record.incident)}" if record.incident else ""),
        f"- **Started:** {record.started_at.isoformat() if record.started_at else '-'}; "
        f"**ended:** {record.ended_at.isoformat() if record.ended_at else '-'}",
        f"- **Base:** `{record.base_ref or '-'}` @ {_sha(record.base_sha)} ({record.base_source or '-'})",
    ]
    if record.flags:
        lines += ["", "### Flags", *(f"- ⚠️ {escape(flag)}" for flag in record.flags)]
    if record.commits:
        lines += [
            "",
            "### Changes",
            "| commit | author | committer | verified | message |",
            "|---|---|---|---|---|",
        ]
        for c in record.commits:
            picked = f" (cherry-pick of {_sha(c.cherry_picked_from)})" if c.cherry_picked_from else ""
            lines.append(
                f"| {_sha(c.sha)} | {_who(c.author)} | {_who(c.committer)} | {'yes' if c.verified else 'no'} "
                f"| {escape(c.message)}{picked} |"
            )
    if record.checks:
        lines += [
            "",
            f"### Checks on {_sha(record.merged_head)}",
            "| check | kind | conclusion |",
            "|---|---|---|",
        ]
        lines += [f"| {escape(c.name)} | {c.kind} | {c.conclusion or 'none'} |" for c in record.checks]
    if record.pull_request is not None:
        lines += ["", f"### Review of PR #{record.pull_request}"]
        lines += [
            f"- {_who(r.reviewer)}: {r.state.lower()} on {_sha(r.commit_id)}"
            + (f" at {r.submitted_at.isoformat()}" if r.submitted_at else "")
            for r in record.reviews
        ] or ["- no reviews"]
        lines.append(
            f"- merged by {_who(record.merged_by)} as {_sha(record.merge_sha)}; merged head "
            f"{_sha(record.merged_head)}, reviewed head {_sha(record.reviewed_head)}"
        )
    if record.run_id is not None:
        lines += [
            "",
            "### Deployment",
            f"- run [{record.run_id}]({record.run_url}): {record.run_conclusion or 'not finished'}, "
            f"attempt {record.run_attempts or 1}",
        ]
        lines += [
            f"- {_who(a.reviewer)} {a.state} for {', '.join(a.environments) or '-'}"
            + (f": {escape(a.comment)}" if a.comment else "")
            for a in record.approvals
        ]
        lines += [
            f"- deployment {d.id} of {_sha(d.sha)} ({escape(d.ref)}) by {_who(d.creator)}: "
            f"{' <- '.join(d.statuses) or 'no status'}"
            for d in record.deployments
        ]
    if record.back_merge_pull_request is not None:
        lines += [
            "",
            "### Back-merge",
            f"- PR #{record.back_merge_pull_request}: "
            + (f"merged by {_who(record.back_merged_by)}" if record.back_merged_by else "not merged"),
        ]
    if record.timeline:
        lines += ["", "### Timeline", *(f"- {escape(entry)}" for entry in record.timeline)]
    if record.signals:
        lines += ["", "### Signals", *(f"- {escape(entry)}" for entry in record.signals)]
    if record.unreadable:
        lines += ["", "### Not read", *(f"- {escape(entry)}" for entry in record.unreadable)]
    return "\n".join(lines) + "\n"
