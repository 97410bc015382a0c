"""CherryPickActivities: git cherry-pick through the Git Data API (GitHub has no endpoint for it)."""

from __future__ import annotations

import re
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.github import errors, threads
from activities.github.refs import branch_sha, delete_branch
from activities.github.rest import OnGitHub, RepoApi, q, qref
from activities.github.threads import in_github_thread
from activities.log import logger
from hotfix.models import CherryPickInput, CherryPickResult


def _log() -> Any:
    return logger("activities.cherry_pick")


CHERRY_PICK_TRAILER = "(cherry picked from commit {sha})"
_TRAILER_RE = re.compile(r"\(cherry picked from commit ([0-9a-f]{40})\)")
# Where the cherry-pick recipe parks its scratch commits; one per target branch, reused by retries.
TEMP_BRANCH_PREFIX = "hotfix-cherry-pick-tmp/"
# How far back a retried cherry-pick looks for picks an earlier attempt made.
PICK_HISTORY_DEPTH = 100


class CherryPickActivities(OnGitHub):
    @activity.defn
    @in_github_thread
    def cherry_pick(self, input: CherryPickInput) -> CherryPickResult:
        """Git Data API cherry-pick (there is no endpoint for it).

        For each commit C with parent P onto head H: a scratch commit with H's tree and parent P;
        `POST /merges` of C into it (a three-way merge with base P: exactly a cherry-pick); a commit
        with the merged tree on H; fast-forward the branch. Each new commit carries git's
        "(cherry picked from commit C)" line, which is how a retry knows what is already done.
        A merge commit is picked against its first parent, as `git cherry-pick -m 1` does.
        """
        api = self._api(input.repository)
        result = CherryPickResult(head_sha=branch_sha(api, input.branch))
        if not input.shas:
            return result
        done, history = self._picked_before(api, input.branch)
        temp = f"{TEMP_BRANCH_PREFIX}{input.branch}"
        temp_made = False
        try:
            for requested in input.shas:
                threads.heartbeat(requested)
                commit = api.json(
                    "GET",
                    f"/commits/{q(requested)}",
                    what=f"get commit {requested}",
                    missing=f"{requested} is not a commit of {input.repository}: fix the cherry-pick list",
                )
                sha = str(commit["sha"])
                if sha in done:
                    result.applied.append(sha)
                    continue
                if sha in history:
                    result.skipped_empty.append(sha)
                    continue
                parents = commit.get("parents") or []
                if not parents:
                    raise ApplicationError(
                        f"cannot cherry-pick {sha[:12]} onto {input.branch}: it is a root commit",
                        type=errors.VALIDATION,
                        non_retryable=True,
                    )
                parent = str(parents[0]["sha"])
                head = result.head_sha
                head_tree = api.json("GET", f"/git/commits/{head}", what=f"get git commit {head}")["tree"][
                    "sha"
                ]
                scratch = api.json(
                    "POST",
                    "/git/commits",
                    what="create scratch commit for cherry-pick",
                    permission="contents:write",
                    body={
                        "message": f"hotfix cherry-pick scratch for {sha}",
                        "tree": head_tree,
                        "parents": [parent],
                    },
                )["sha"]
                self._point_temp_branch(api, temp, scratch)
                temp_made = True
                merged = api.call(
                    "POST",
                    "/merges",
                    what=f"merge {sha[:12]} into {temp}",
                    permission="contents:write",
                    body={"base": temp, "head": sha, "commit_message": f"cherry-pick {sha}"},
                    expect=(409,),
                )
                if merged.status == 409:
                    result.conflict_sha = sha
                    result.conflict_files = self._conflict_files(api, commit, parent, head)
                    _log().info("cherry-pick conflict", sha=sha, files=result.conflict_files)
                    return result
                merged_tree = (
                    (merged.data or {}).get("commit", {}).get("tree", {}).get("sha") if merged.data else None
                )
                if merged_tree is None or merged_tree == head_tree:
                    result.skipped_empty.append(sha)
                    continue
                author = commit.get("commit", {}).get("author")
                message = str(commit.get("commit", {}).get("message") or f"cherry-pick {sha}").rstrip()
                body: dict[str, Any] = {
                    "message": f"{message}\n\n{CHERRY_PICK_TRAILER.format(sha=sha)}",
                    "tree": merged_tree,
                    "parents": [head],
                }
                if author and author.get("name") and author.get("email"):
                    body["author"] = {k: author[k] for k in ("name", "email", "date") if author.get(k)}
                picked = api.json(
                    "POST",
                    "/git/commits",
                    what=f"create commit for {sha[:12]}",
                    permission="contents:write",
                    body=body,
                )["sha"]
                moved = api.call(
                    "PATCH",
                    f"/git/refs/heads/{qref(input.branch)}",
                    what=f"update ref heads/{input.branch}",
                    permission="contents:write",
                    body={"sha": picked, "force": False},
                    expect=(422,),
                )
                if not moved.ok:
                    # Someone pushed meanwhile; a retry starts again from the new head.
                    raise ApplicationError(
                        f"{input.branch} moved while cherry-picking {sha[:12]} ({moved.message}); retrying",
                        type=errors.CONFLICT,
                    )
                result.head_sha = picked
                result.applied.append(sha)
                _log().info("cherry-picked", sha=sha, head=picked, branch=input.branch)
        finally:
            if temp_made:
                try:
                    delete_branch(api, temp)
                except ApplicationError as err:
                    # A scratch branch left behind is harmless; the next pick onto this branch reuses it.
                    _log().warning("could not delete scratch branch", branch=temp, error=err.message)
        return result

    def _picked_before(self, api: RepoApi, branch: str) -> tuple[set[str], set[str]]:
        """Picks recorded on the branch's recent history, and the recent history's shas."""
        done: set[str] = set()
        history: set[str] = set()
        for item in api.pages(
            "/commits",
            what=f"list commits of {branch}",
            params={"sha": branch},
            limit=PICK_HISTORY_DEPTH,
        ):
            history.add(str(item["sha"]))
            done.update(_TRAILER_RE.findall(str(item.get("commit", {}).get("message") or "")))
        return done, history

    def _point_temp_branch(self, api: RepoApi, temp: str, sha: str) -> None:
        made = api.call(
            "POST",
            "/git/refs",
            what=f"create ref heads/{temp}",
            permission="contents:write",
            body={"ref": f"refs/heads/{temp}", "sha": sha},
            expect=(422,),
        )
        if not made.ok:
            # Left over by an attempt that died; it is scratch, so take it over.
            api.json(
                "PATCH",
                f"/git/refs/heads/{qref(temp)}",
                what=f"update ref heads/{temp}",
                permission="contents:write",
                body={"sha": sha, "force": True},
            )

    def _conflict_files(self, api: RepoApi, commit: dict[str, Any], parent: str, head: str) -> list[str]:
        """Files the pick touches whose content on the branch differs from the pick's parent."""
        touched: set[str] = set()
        for f in commit.get("files") or []:
            touched.add(str(f["filename"]))
            if f.get("previous_filename"):
                touched.add(str(f["previous_filename"]))
        try:
            before = self._tree_blobs(api, parent)
            ours = self._tree_blobs(api, head)
        except ApplicationError as err:
            if not err.non_retryable:
                raise
            before = ours = None
        if before is None or ours is None:
            return sorted(touched)
        both = sorted(path for path in touched if before.get(path) != ours.get(path))
        return both or sorted(touched)

    def _tree_blobs(self, api: RepoApi, commit_sha: str) -> dict[str, str] | None:
        tree_sha = api.json("GET", f"/git/commits/{commit_sha}", what=f"get git commit {commit_sha}")["tree"][
            "sha"
        ]
        tree = api.json("GET", f"/git/trees/{tree_sha}", what=f"get tree {tree_sha}", params={"recursive": 1})
        if tree.get("truncated"):
            return None
        return {str(e["path"]): str(e["sha"]) for e in tree.get("tree", []) if e.get("type") == "blob"}
