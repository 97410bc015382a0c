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


def commit_of(api: RepoApi, ref: str) -> str | None:
    """The commit sha a branch, tag or (short) sha names, or None when GitHub knows no such commit."""
    # GitHub answers 404 for an unknown name and 422 "No commit found for SHA" for an unknown sha.
    reply = api.call("GET", f"/commits/{q(ref)}", what=f"get commit {ref}", expect=(404, 422))
    if reply.ok and isinstance(reply.data, dict) and reply.data.get("sha"):
        return str(reply.data["sha"])
    return None


def branch_sha(api: RepoApi, branch: str, *, missing: str | None = None) -> str:
    ref = api.json("GET", f"/git/ref/heads/{qref(branch)}", what=f"get ref heads/{branch}", missing=missing)
    return str(ref["object"]["sha"])


def branch_head(api: RepoApi, branch: str) -> str | None:
    """The head sha of `branch`, or None when there is no such branch."""
    reply = api.call("GET", f"/git/ref/heads/{qref(branch)}", what=f"get ref heads/{branch}", expect=(404,))
    if reply.ok and isinstance(reply.data, dict) and reply.data.get("object"):
        return str(reply.data["object"]["sha"])
    return None


def branches_under(api: RepoApi, prefix: str) -> list[str]:
    """The names of the branches that start with `prefix`, sorted."""
    reply = api.call(
        "GET", f"/git/matching-refs/heads/{qref(prefix)}", what=f"list refs heads/{prefix}*", expect=(404,)
    )
    found = reply.data if reply.ok and isinstance(reply.data, list) else []
    return sorted(str(ref.get("ref", "")).removeprefix("refs/heads/") for ref in found)


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
