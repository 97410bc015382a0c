"""Git refs and commits the steps share: resolve a name to a sha, read a branch head, delete a branch."""

from __future__ import annotations

from activities.github.rest import RepoApi, q, qref


def resolve(api: RepoApi, ref: str, *, what: str) -> str:
    """The commit sha of a branch, tag or sha; a name GitHub does not know blocks with a fix to make."""
    commit = api.json(
        "GET",
        f"/commits/{q(ref)}",
        what=what,
        missing=f"{ref!r} is no branch, tag or commit of {api.repository}: fix the base ref",
    )
    return str(commit["sha"])


def branch_sha(api: RepoApi, branch: str, *, missing: str | None = None) -> str:
    ref = api.json("GET", f"/git/ref/heads/{qref(branch)}", what=f"get ref heads/{branch}", missing=missing)
    return str(ref["object"]["sha"])


def delete_branch(api: RepoApi, branch: str) -> bool:
    """True when this call deleted it; a branch already gone is fine."""
    reply = api.call(
        "DELETE",
        f"/git/refs/heads/{qref(branch)}",
        what=f"delete ref heads/{branch}",
        permission="contents:write",
        expect=(404, 422),
    )
    return reply.ok
