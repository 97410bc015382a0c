"""PullRequestActivities: open, merge and comment on the hotfix's pull requests, each idempotent."""

from __future__ import annotations

from typing import Any

from github.GithubException import GithubException
from temporalio import activity

from activities.github import errors
from activities.github.comments import CommentsOnGitHub
from activities.github.rest import RepoApi, qref
from activities.github.threads import in_github_thread
from activities.log import logger
from hotfix.models import (
    CommentInput,
    CommentResult,
    ConflictInput,
    ConflictResult,
    MergeInput,
    MergeResult,
    OpenPullRequestInput,
    PullRequestRef,
)


def _log() -> Any:
    return logger("activities.pulls")


# The conflict label's look when the hotfix creates it (GitHub's own red for "needs attention").
CONFLICT_LABEL_COLOR = "d73a4a"
CONFLICT_LABEL_DESCRIPTION = "The hotfix's back-merge has conflicts a human must resolve"


def conflict_comment(input: ConflictInput, merge_base: str, files: list[str]) -> str:
    """The one comment on a PR that cannot be merged: where, and what a human does about it."""
    where = (
        "\n".join(f"- `{name}`" for name in files)
        or "- (GitHub's compare shows no file changed on both sides)"
    )
    return (
        f"⚠️ This back-merge cannot be merged: `{input.head}` conflicts with `{input.base}`. The hotfix "
        "workflow never resolves a conflict itself; it waits until this PR is merged.\n\n"
        f"Files changed on both sides since their merge base `{merge_base[:12]}`:\n{where}\n\n"
        f"@{input.requester}, please resolve it on GitHub: merge `{input.base}` into `{input.head}` "
        "(the *Resolve conflicts* button, or `git merge` and push), then merge this PR; or merge "
        f"`{input.head}` into `{input.base}` by hand. The hotfix then finishes."
    )


def changed_on_both_sides(ahead: dict[str, Any], behind: dict[str, Any]) -> list[str]:
    """The paths both compares (`base...head` and `head...base`) changed, to different contents.

    A file both sides changed alike (same blob) merges cleanly; git merges line by line, so a path
    on this list may still merge, but every conflict is on it. GitHub's compare lists at most 300
    files per side.
    """

    def changed(diff: dict[str, Any]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for item in diff.get("files") or []:
            sha = None if item.get("status") == "removed" else item.get("sha")
            for name in (item.get("filename"), item.get("previous_filename")):
                if name:
                    out[str(name)] = sha
        return out

    ours, theirs = changed(ahead), changed(behind)
    return sorted(name for name in ours.keys() & theirs.keys() if ours[name] != theirs[name])


class PullRequestActivities(CommentsOnGitHub):
    @activity.defn
    @in_github_thread
    def open_pull_request(self, input: OpenPullRequestInput) -> PullRequestRef:
        """Open `head -> base`. Idempotent: an open PR between the two is what an earlier attempt made
        (`created=False`), also when GitHub answers "A pull request already exists"."""
        api = self._api(input.repository)
        existing = self._find_open_pull(api, input.head, input.base)
        if existing is not None:
            self._request_reviewers(api, existing.number, input.reviewers)
            return existing
        made = api.call(
            "POST",
            "/pulls",
            what=f"create pull request {input.head} -> {input.base}",
            permission="pull_requests:write",
            body={"title": input.title, "head": input.head, "base": input.base, "body": input.body},
            expect=(422,),
        )
        if made.ok:
            _log().info("pull request opened", number=made.data["number"], head=input.head, base=input.base)
            self._request_reviewers(api, int(made.data["number"]), input.reviewers)
            return PullRequestRef(
                number=int(made.data["number"]), url=str(made.data["html_url"]), created=True
            )
        if "already exists" in made.message.lower():
            found = self._find_open_pull(api, input.head, input.base)
            if found is not None:
                return found
        raise errors.translate(
            GithubException(422, {"message": made.message}),
            input.repository,
            f"create pull request {input.head} -> {input.base}",
            missing=f"check that {input.head} has commits that {input.base} lacks",
        )

    def _request_reviewers(self, api: RepoApi, number: int, reviewers: list[str]) -> bool:
        """Ask `reviewers` (logins, `org/team`) to review; asking again is harmless. GitHub refuses
        people who are not collaborators (422): that is logged, not fatal, the PR stays open."""
        if not reviewers:
            return True
        users = [r for r in reviewers if "/" not in r]
        teams = [r.split("/", 1)[1] for r in reviewers if "/" in r]
        reply = api.call(
            "POST",
            f"/pulls/{number}/requested_reviewers",
            what=f"request reviewers on #{number}",
            permission="pull_requests:write",
            body={"reviewers": users, "team_reviewers": teams},
            expect=(422,),
        )
        if not reply.ok:
            _log().warning(
                "reviewers not requested", number=number, reviewers=reviewers, reason=reply.message
            )
        return reply.ok

    def _find_open_pull(self, api: RepoApi, head: str, base: str) -> PullRequestRef | None:
        for pull in api.pages(
            "/pulls",
            what=f"list pull requests {head} -> {base}",
            params={"state": "open", "head": f"{api.repository.split('/', 1)[0]}:{head}", "base": base},
            permission="pull_requests:read",
        ):
            # Filter again: a server that ignores `head` must not hand us someone else's PR.
            if pull.get("head", {}).get("ref") == head and pull.get("base", {}).get("ref") == base:
                return PullRequestRef(number=int(pull["number"]), url=str(pull["html_url"]), created=False)
        return None

    @activity.defn
    @in_github_thread
    def merge_pull_request(self, input: MergeInput) -> MergeResult:
        """Merge the PR at exactly `sha` (GitHub refuses with 409 if the head moved). Idempotent: a merged
        PR reports its merge commit; a refusal is returned with GitHub's reason, not raised."""
        api = self._api(input.repository)
        path = f"/pulls/{input.number}"
        pull = api.json(
            "GET", path, what=f"get pull request #{input.number}", permission="pull_requests:read"
        )
        if pull.get("merged"):
            return MergeResult(merged=True, sha=pull.get("merge_commit_sha"))
        if pull.get("state") == "closed":
            return MergeResult(merged=False, message=f"PR #{input.number} is closed")
        refusal = ""
        # The repository may allow only some merge methods; a merge commit keeps history best.
        for method in ("merge", "squash", "rebase"):
            reply = api.call(
                "PUT",
                f"{path}/merge",
                what=f"merge pull request #{input.number}",
                permission="contents:write",
                body={"sha": input.sha, "commit_title": input.title, "merge_method": method},
                expect=(405, 409),
            )
            if reply.ok:
                _log().info(
                    "pull request merged", number=input.number, sha=reply.data.get("sha"), method=method
                )
                return MergeResult(merged=True, sha=reply.data.get("sha"))
            refusal = reply.message or f"GitHub answered {reply.status}"
            if not (reply.status == 405 and "not allowed" in refusal.lower()):
                break
        # The answer to an earlier (or in-process retried) merge may have been lost: look again.
        pull = api.json(
            "GET", path, what=f"get pull request #{input.number}", permission="pull_requests:read"
        )
        if pull.get("merged"):
            return MergeResult(merged=True, sha=pull.get("merge_commit_sha"))
        return MergeResult(merged=False, message=refusal)

    @activity.defn
    @in_github_thread
    def comment(self, input: CommentInput) -> CommentResult:
        """Post a comment. A retry first looks for the same text posted lately by an earlier attempt.

        Two different reminders a few hours apart are different texts, so both are posted; the
        look-back only catches an attempt whose answer was lost.
        """
        api = self._api(input.repository)
        return CommentResult(comment_id=self._comment_once(api, input.number, input.body))

    @activity.defn
    @in_github_thread
    def report_conflict(self, input: ConflictInput) -> ConflictResult:
        """PR #number conflicts with its base: comment once with the files changed on both sides,
        label it, and ask the requester to review. Each write finds an earlier attempt's: the comment
        is looked for by its text first, and adding a label or a reviewer twice changes nothing. The
        label and the review request are a help, not a need: GitHub refusing them is logged."""
        api = self._api(input.repository)
        ahead = api.json(
            "GET",
            f"/compare/{qref(input.base)}...{qref(input.head)}",
            what=f"compare {input.base}...{input.head}",
        )
        behind = api.json(
            "GET",
            f"/compare/{qref(input.head)}...{qref(input.base)}",
            what=f"compare {input.head}...{input.base}",
        )
        files = changed_on_both_sides(ahead, behind)
        merge_base = str((ahead.get("merge_base_commit") or {}).get("sha") or "")
        body = conflict_comment(input, merge_base, files)
        comment_id = self._comment_once(api, input.number, body, look=True)
        labelled = self._label(api, input.number, input.label)
        requested = self._request_reviewers(api, input.number, [input.requester])
        _log().info("conflict reported", number=input.number, files=files, labelled=labelled)
        return ConflictResult(
            files=files, comment_id=comment_id, labelled=labelled, reviewer_requested=requested
        )

    def _label(self, api: RepoApi, number: int, name: str) -> bool:
        """Label #number `name`, made first with its colour if the repository lacks it (GitHub makes a
        missing label when adding it, but grey, and its REST description does not promise it)."""
        made = api.call(
            "POST",
            "/labels",
            what=f"create label {name}",
            permission="issues:write",  # or pull_requests:write
            body={"name": name, "color": CONFLICT_LABEL_COLOR, "description": CONFLICT_LABEL_DESCRIPTION},
            expect=(403, 404, 422),  # 422: it exists already
        )
        if made.status in (403, 404):
            _log().warning("label not created", label=name, reason=made.message)
        added = api.call(
            "POST",
            f"/issues/{number}/labels",
            what=f"label #{number} {name}",
            permission="pull_requests:write",
            body={"labels": [name]},
            expect=(403, 404, 422),
        )
        if not added.ok:
            _log().warning("not labelled", number=number, label=name, reason=added.message)
        return added.ok
