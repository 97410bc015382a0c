"""The change record (#12 item 1): read from GitHub what the hotfix did, flag what a reviewer of
the change would want raised, and leave it on the hotfix PR as one comment, edited in place.

Reads only, but for that comment; a read GitHub refuses (403, 404: a permission, a deleted run) is
named in `unreadable` instead of failing the record. Retried reads find the same answers, and the
comment is found again by its marker, so a retry edits it rather than posting a second one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.github import errors
from activities.github.comments import CommentsOnGitHub
from activities.github.rest import RepoApi, parse_time
from activities.github.threads import in_github_thread
from activities.senders import checked_senders
from hotfix.models import ChangeRecord, HotfixStatus, RecordInput, RecordResult
from hotfix.models.record import ApprovalEntry, CheckEntry, CommitEntry, DeploymentEntry, ReviewEntry
from hotfix.record_view import MARKER, record_markdown
from hotfix.render import duration, webhook_summary

REFUSED = (403, 404, 410)
# `git cherry-pick -x` leaves this line; the workflow's own cherry-picks do too (activities/cherry_pick.py).
CHERRY_PICKED = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,40})\)")


def _login(item: Any) -> str | None:
    return (item or {}).get("login") if isinstance(item, dict) else None


class Reader:
    """GETs that say what they could not read instead of failing."""

    def __init__(self, api: RepoApi, record: ChangeRecord) -> None:
        self.api = api
        self.record = record

    def get(self, path: str, what: str, permission: str = "contents:read", **params: Any) -> Any:
        reply = self.api.call(
            "GET", path, what=what, permission=permission, params=params or None, expect=REFUSED
        )
        if not reply.ok:
            self.record.unreadable.append(f"{what}: {reply.message or reply.status}")
            return None
        return reply.data

    def pages(self, path: str, what: str, permission: str = "contents:read", **kw: Any) -> list[Any]:
        try:
            return list(self.api.pages(path, what=what, permission=permission, **kw))
        except ApplicationError as err:
            if err.type in (errors.FORBIDDEN, errors.NOT_FOUND):
                self.record.unreadable.append(f"{what}: {err.message}")
                return []
            raise  # a transient failure: the activity is retried


def _timeline(status: HotfixStatus) -> list[str]:
    """One line per step: when it began and how long it took (times in UTC; `started_at` has the date)."""
    out = []
    for event in status.timeline:
        ended = event.ended_at.strftime("%H:%M:%S") if event.ended_at else "now"
        took = duration(event.started_at, event.ended_at)
        out.append(f"{event.step.value}: {event.started_at:%H:%M:%S} - {ended} UTC ({took})")
    return out


def _flags(record: ChangeRecord, status: HotfixStatus, authors: set[str]) -> list[str]:
    flags = []
    pr_approvers = {r.reviewer for r in record.reviews if r.state == "APPROVED"}
    deploy_approvers = {a.reviewer for a in record.approvals if a.state == "approved"}
    for who in sorted(pr_approvers & authors):
        flags.append(f"self-approval: {who} approved PR #{record.pull_request} and authored a commit in it")
    for who in sorted(deploy_approvers & authors):
        flags.append(f"self-approval: {who} approved the deployment and authored a commit in the hotfix")
    for who in sorted(pr_approvers & deploy_approvers):
        flags.append(f"{who} approved both the PR and the deployment")
    approved_on = {r.commit_id for r in record.reviews if r.state == "APPROVED"}
    if record.merged_head and record.merge_sha and record.merged_head not in approved_on:
        flags.append(f"no approval was given on the merged head {record.merged_head[:12]}")
    conclusions = {c.name: c.conclusion for c in record.checks}
    for name in status.required_checks:
        if conclusions.get(name) != "success":
            flags.append(f"required check {name} was {conclusions.get(name) or 'missing'} on the merged head")
    if (
        record.run_id is not None
        and status.merged_sha
        and status.deployed_sha not in (None, status.merged_sha)
    ):
        flags.append(f"the run deployed {status.deployed_sha[:12]}, not the merge {status.merged_sha[:12]}")
    return flags


class RecordActivities(CommentsOnGitHub):
    @activity.defn
    @in_github_thread
    def build_record(self, input: RecordInput) -> RecordResult:
        """The record of the hotfix as GitHub shows it now; with `comment`, also on the hotfix PR."""
        status = input.status
        api = self._api(status.repository)
        record = ChangeRecord(
            workflow_id=status.workflow_id,
            repository=status.repository,
            description=status.description,
            requested_by=status.requested_by,
            incident=input.incident,
            ui_url=input.ui_url,
            step=status.step.value,
            started_at=status.timeline[0].started_at if status.timeline else None,
            ended_at=status.timeline[-1].ended_at or status.timeline[-1].started_at
            if status.timeline
            else None,
            base_source=status.base_source,
            base_ref=status.base_ref,
            base_sha=status.base_sha,
            timeline=_timeline(status),
            signals=[*status.signals, *([webhook_summary(status)] if status.webhook_nudges else [])],
        )
        read = Reader(api, record)
        authors: set[str] = set()
        if status.pull_request is not None:
            authors = self._pull_request(read, status.pull_request.number)
        if record.merged_head:
            self._checks(read, record.merged_head)
        if status.run_id is not None:
            self._run(read, status.run_id, input.environment)
        if status.back_merge_pull_request is not None:
            number = status.back_merge_pull_request.number
            record.back_merge_pull_request = number
            pr = read.get(f"/pulls/{number}", f"read back-merge PR #{number}", "pull_requests:read")
            if pr:
                record.back_merged_by = _login(pr.get("merged_by"))
                record.back_merged_at = parse_time(pr.get("merged_at"))
        record.signals = checked_senders(api, record.signals)
        record.flags = _flags(record, status, authors)
        comment_id = None
        if input.comment and status.pull_request is not None:
            comment_id = self._leave_on(api, status.pull_request.number, record_markdown(record))
        return RecordResult(record=record, comment_id=comment_id)

    @staticmethod
    def _pull_request(read: Reader, number: int) -> set[str]:
        record = read.record
        record.pull_request = number
        pr = read.get(f"/pulls/{number}", f"read PR #{number}", "pull_requests:read")
        if pr:
            record.pull_request_url = pr.get("html_url")
            record.merged_by = _login(pr.get("merged_by"))
            record.merge_sha = pr.get("merge_commit_sha") if pr.get("merged") else None
            record.merged_head = (pr.get("head") or {}).get("sha")
        for r in read.pages(f"/pulls/{number}/reviews", f"list reviews of #{number}", "pull_requests:read"):
            record.reviews.append(
                ReviewEntry(
                    reviewer=_login(r.get("user")) or "?",
                    state=r.get("state", ""),
                    submitted_at=parse_time(r.get("submitted_at")),
                    commit_id=r.get("commit_id"),
                )
            )
        approved = [r for r in record.reviews if r.state == "APPROVED" and r.commit_id]
        record.reviewed_head = approved[-1].commit_id if approved else None
        authors = set()
        for c in read.pages(f"/pulls/{number}/commits", f"list commits of #{number}", "pull_requests:read"):
            message = (c.get("commit") or {}).get("message") or ""
            picked = CHERRY_PICKED.search(message)
            entry = CommitEntry(
                sha=c.get("sha", ""),
                author=_login(c.get("author")),
                committer=_login(c.get("committer")),
                message=message.splitlines()[0] if message else "",
                verified=bool(((c.get("commit") or {}).get("verification") or {}).get("verified")),
                cherry_picked_from=picked.group(1) if picked else None,
            )
            record.commits.append(entry)
            if entry.author:
                authors.add(entry.author)
        return authors

    @staticmethod
    def _checks(read: Reader, sha: str) -> None:
        runs = read.pages(
            f"/commits/{sha}/check-runs", f"list check runs of {sha[:12]}", "checks:read", key="check_runs"
        )
        for run in runs:
            read.record.checks.append(
                CheckEntry(
                    name=run.get("name", ""),
                    kind="check run",
                    conclusion=run.get("conclusion") or run.get("status"),
                    app=((run.get("app") or {}).get("slug")),
                    url=run.get("html_url"),
                )
            )
        combined = read.get(f"/commits/{sha}/status", f"read the statuses of {sha[:12]}", "statuses:read")
        for s in (combined or {}).get("statuses", []):
            read.record.checks.append(
                CheckEntry(
                    name=s.get("context", ""),
                    kind="status",
                    conclusion=s.get("state"),
                    url=s.get("target_url"),
                )
            )

    @staticmethod
    def _run(read: Reader, run_id: int, environment: str) -> None:
        record = read.record
        record.run_id = run_id
        run = read.get(f"/actions/runs/{run_id}", f"read run {run_id}", "actions:read")
        if run:
            record.run_url = run.get("html_url")
            record.run_attempts = run.get("run_attempt")
            record.run_conclusion = run.get("conclusion")
        approvals = read.get(
            f"/actions/runs/{run_id}/approvals", f"list approvals of run {run_id}", "actions:read"
        )
        for a in approvals or []:
            record.approvals.append(
                ApprovalEntry(
                    reviewer=_login(a.get("user")) or "?",
                    state=a.get("state", ""),
                    comment=a.get("comment") or "",
                    environments=[e.get("name", "") for e in a.get("environments") or []],
                )
            )
        if not run or not run.get("head_sha"):
            return
        deployments = read.pages(
            "/deployments",
            f"list deployments of {run['head_sha'][:12]}",
            "deployments:read",
            params={"sha": run["head_sha"], "environment": environment},
            limit=10,
        )
        for d in deployments:
            statuses = read.pages(
                f"/deployments/{d['id']}/statuses",
                f"list statuses of deployment {d['id']}",
                "deployments:read",
            )
            record.deployments.append(
                DeploymentEntry(
                    id=d["id"],
                    sha=d.get("sha", ""),
                    ref=d.get("ref", ""),
                    creator=_login(d.get("creator")),
                    created_at=parse_time(d.get("created_at")),
                    statuses=[s.get("state", "") for s in statuses],
                )
            )

    def _leave_on(self, api: RepoApi, number: int, body: str) -> int:
        """The record's comment on #number: the earlier one (found by its marker) edited, else posted."""
        mine = _own(api, number)
        if mine is not None:
            api.call(
                "PATCH",
                f"/issues/comments/{mine}",
                what=f"update the change record on #{number}",
                permission="pull_requests:write",
                body={"body": body},
            )
            return mine
        # `_own` has just looked; a retry still waits out an earlier attempt's POST and looks again.
        return self._comment_once(api, number, body)


def _own(api: RepoApi, number: int) -> int | None:
    comments: Iterable[Any] = api.pages(
        f"/issues/{number}/comments", what=f"list comments of #{number}", permission="pull_requests:read"
    )
    for c in comments:
        if (c.get("body") or "").startswith(MARKER):
            return int(c["id"])
    return None
