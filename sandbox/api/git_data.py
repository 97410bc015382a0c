"""Git Data API (refs, blobs, trees, commits) and the merges endpoint: what cherry-picks are made of."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pygit2.enums import FileMode

from sandbox import errors, identity
from sandbox.gitstore import HEADS
from sandbox.models import gate, refs
from sandbox.routing import Ctx, Reply, route
from sandbox.views import git_data as view
from sandbox.views.commits import commit as commit_view
from sandbox.views.commits import diff_entry

R = "/repos/{owner}/{repo}"


def _full_ref(ref: str) -> str:
    return ref if ref.startswith("refs/") else "refs/" + ref


@route("GET", R + "/git/ref/{ref:path}")
def get_ref(ctx: Ctx) -> Any:
    full = _full_ref(ctx.params["ref"])
    sha = ctx.git.ref_sha(full)
    if sha is None:
        raise errors.NotFound()
    return view.git_ref(ctx.urls, ctx.repo, full, sha)


@route("GET", R + "/git/matching-refs/{ref:path}")
def matching_refs(ctx: Ctx) -> Any:
    prefix = _full_ref(ctx.params["ref"])
    return [view.git_ref(ctx.urls, ctx.repo, r, s) for r, s in ctx.git.refs_with_prefix(prefix)]


@route("GET", R + "/git/refs")
def list_refs(ctx: Ctx) -> Any:
    found = ctx.git.refs_with_prefix("refs/")
    return [view.git_ref(ctx.urls, ctx.repo, r, s) for r, s in ctx.paginate(found)]


@route("GET", R + "/git/refs/{ref:path}")
def list_refs_under(ctx: Ctx) -> Any:
    full = _full_ref(ctx.params["ref"])
    sha = ctx.git.ref_sha(full)
    if sha is not None:
        return view.git_ref(ctx.urls, ctx.repo, full, sha)
    found = ctx.git.refs_with_prefix(full.rstrip("/") + "/")
    if not found:
        raise errors.NotFound()
    return [view.git_ref(ctx.urls, ctx.repo, r, s) for r, s in ctx.paginate(found)]


@route("POST", R + "/git/refs")
def create_ref(ctx: Ctx) -> Any:
    ctx.require("write")
    ref = str(ctx.field("ref", "Reference"))
    sha = str(ctx.field("sha", "Reference"))
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise errors.Unprocessable(
            "Reference name is invalid"
            if ref.startswith("refs/")
            else "Reference name must start with 'refs/' and have at least two slashes."
        )
    if ctx.git.ref_sha(ref) is not None:
        raise errors.Unprocessable("Reference already exists")
    if ctx.git.commit(sha) is None or len(sha) != 40:
        raise errors.Unprocessable("Object does not exist")
    refs.set_ref(ctx.sb, ctx.repo, ref, sha, ctx.login)
    return ctx.created(view.git_ref(ctx.urls, ctx.repo, ref, sha), f"/git/{ref}")


@route("PATCH", R + "/git/refs/{ref:path}")
def update_ref(ctx: Ctx) -> Any:
    ctx.require("write")
    full = _full_ref(ctx.params["ref"])
    sha = str(ctx.field("sha", "Reference"))
    force = bool(ctx.field("force", required=False))
    current = ctx.git.ref_sha(full)
    if current is None:
        raise errors.Unprocessable("Reference does not exist")
    if ctx.git.commit(sha) is None:
        raise errors.Unprocessable("Object does not exist")
    if full.startswith(HEADS) and gate.blocks_direct_push(
        ctx.repo, full[len(HEADS) :], admin=ctx.at_least("admin")
    ):
        raise errors.Unprocessable(f"Protected branch update failed for {full}.")
    if not force and not ctx.git.is_ancestor(current, sha):
        raise errors.Unprocessable("Update is not a fast forward")
    refs.set_ref(ctx.sb, ctx.repo, full, sha, ctx.login)
    return view.git_ref(ctx.urls, ctx.repo, full, sha)


@route("DELETE", R + "/git/refs/{ref:path}")
def delete_ref(ctx: Ctx) -> Any:
    ctx.require("write")
    full = _full_ref(ctx.params["ref"])
    if ctx.git.ref_sha(full) is None:
        raise errors.Unprocessable("Reference does not exist")
    refs.delete_ref(ctx.sb, ctx.repo, full, ctx.login)
    return Reply(204)


@route("POST", R + "/git/blobs")
def create_blob(ctx: Ctx) -> Any:
    content = str(ctx.field("content", "Blob"))
    encoding = ctx.field("encoding", required=False) or "utf-8"
    if encoding == "base64":
        try:
            data = base64.b64decode(content)
        except binascii.Error:
            raise errors.Unprocessable("Invalid base64 content") from None
    elif encoding in ("utf-8", "utf8"):
        data = content.encode()
    else:
        raise errors.Unprocessable(f"encoding must be utf-8 or base64, not {encoding}")
    sha = ctx.git.blob(data)
    return ctx.created({"url": f"{ctx.urls.repo(ctx.repo)}/git/blobs/{sha}", "sha": sha}, f"/git/blobs/{sha}")


@route("GET", R + "/git/blobs/{sha}")
def get_blob(ctx: Ctx) -> Any:
    obj = ctx.git.obj(ctx.params["sha"])
    if obj is None or obj.type_str != "blob":
        raise errors.NotFound()
    return view.blob(ctx.urls, ctx.repo, obj)


def _tree_body(ctx: Ctx, sha: str, recursive: bool) -> Any:
    root = ctx.git.obj(sha)
    if root is not None and root.type_str == "commit":
        root = root.tree
    if root is None or root.type_str != "tree":
        raise errors.NotFound()
    return view.tree(ctx.urls, ctx.repo, ctx.git, root, recursive)


@route("GET", R + "/git/trees/{sha}")
def get_tree(ctx: Ctx) -> Any:
    recursive = ctx.query.get("recursive", "") not in ("", "0", "false")
    return _tree_body(ctx, ctx.params["sha"], recursive)


MODES = {
    "100644": FileMode.BLOB,
    "100755": FileMode.BLOB_EXECUTABLE,
    "040000": FileMode.TREE,
    "160000": FileMode.COMMIT,
    "120000": FileMode.LINK,
}


@route("POST", R + "/git/trees")
def create_tree(ctx: Ctx) -> Any:
    items = ctx.field("tree", "Tree")
    base_tree = ctx.field("base_tree", required=False)
    if base_tree is not None:
        obj = ctx.git.obj(base_tree)
        if obj is None:
            raise errors.Unprocessable("base_tree is not a valid tree oid")
        if obj.type_str == "commit":
            base_tree = str(obj.tree_id)
    changes: dict[str, tuple[FileMode, str] | None] = {}
    for item in items:
        path = str(item.get("path", "")).strip("/")
        mode = MODES.get(str(item.get("mode", "100644")))
        if not path or mode is None:
            raise errors.Unprocessable(f"tree.path or tree.mode is invalid: {item}")
        if "content" in item and item["content"] is not None:
            changes[path] = (mode, ctx.git.blob(str(item["content"]).encode()))
        elif item.get("sha") is None:
            changes[path] = None
        else:
            if ctx.git.obj(str(item["sha"])) is None:
                raise errors.Unprocessable(f"tree.sha {item['sha']} is not a valid blob")
            changes[path] = (mode, str(item["sha"]))
    sha = ctx.git.write_tree(base_tree, changes)
    return ctx.created(_tree_body(ctx, sha, recursive=False), f"/git/trees/{sha}")


@route("POST", R + "/git/commits")
def create_commit(ctx: Ctx) -> Any:
    message = str(ctx.field("message", "Commit"))
    tree = str(ctx.field("tree", "Commit"))
    parents = [str(p) for p in (ctx.field("parents", required=False) or [])]
    tree_obj = ctx.git.obj(tree)
    if tree_obj is None or tree_obj.type_str != "tree":
        raise errors.Unprocessable("Tree SHA does not exist")
    for p in parents:
        if ctx.git.commit(p) is None:
            raise errors.Unprocessable("Parent SHA does not exist or is not a commit object")
    me = identity.sig(ctx.user)
    author = identity.from_body(ctx.field("author", required=False), me)
    committer = identity.from_body(
        ctx.field("committer", required=False), author if ctx.body.get("author") else me
    )
    sha = ctx.git.create_commit(tree, parents, message, author, committer)
    commit = ctx.git.commit(sha)
    assert commit is not None
    return ctx.created(view.git_commit(ctx.urls, ctx.repo, commit), f"/git/commits/{sha}")


@route("GET", R + "/git/commits/{commit_sha}")
def get_git_commit(ctx: Ctx) -> Any:
    commit = ctx.git.commit(ctx.params["commit_sha"])
    if commit is None:
        raise errors.NotFound()
    return view.git_commit(ctx.urls, ctx.repo, commit)


@route("POST", R + "/merges")
def merge(ctx: Ctx) -> Any:
    ctx.require("write")
    base = str(ctx.field("base", "Merge"))
    head = str(ctx.field("head", "Merge"))
    base_sha = ctx.git.branch_sha(base)
    if base_sha is None:
        raise errors.NotFound("Base does not exist")
    head_commit = ctx.git.resolve(head)
    if head_commit is None:
        raise errors.NotFound("Head does not exist")
    head_sha = str(head_commit.id)
    if ctx.git.is_ancestor(head_sha, base_sha):
        return Reply(204)
    tree, _conflicts = ctx.git.merge_tree(base_sha, head_sha)
    if tree is None:
        raise errors.Conflict("Merge conflict")
    message = ctx.field("commit_message", required=False) or f"Merge {head} into {base}"
    sha = ctx.git.create_commit(
        tree, [base_sha, head_sha], message, identity.sig(ctx.user), identity.github_sig()
    )
    refs.set_branch(ctx.sb, ctx.repo, base, sha, ctx.login)
    commit = ctx.git.commit(sha)
    assert commit is not None
    files = [diff_entry(ctx.urls, ctx.repo, sha, f) for f in ctx.git.diff(base_sha, sha)]
    return ctx.created(commit_view(ctx.urls, ctx.store, ctx.repo, commit, files), f"/commits/{sha}")
