"""Real git repositories (bare, pygit2) behind the API: refs, commits, trees, merges, merge bases, diffs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import FileMode, SortMode

HEADS = "refs/heads/"
TAGS = "refs/tags/"


@dataclass
class FileChange:
    filename: str
    status: str  # added | removed | modified | renamed
    additions: int
    deletions: int
    sha: str
    patch: str


def signature(name: str, email: str, when: float | None = None) -> pygit2.Signature:
    return pygit2.Signature(name, email, int(when if when is not None else time.time()), 0)


class GitRepo:
    def __init__(self, path: Path) -> None:
        if path.exists():
            self.repo = pygit2.Repository(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.repo = pygit2.init_repository(str(path), bare=True)

    # -- refs
    def branches(self) -> list[tuple[str, str]]:
        out = []
        for name in self.repo.raw_listall_references():
            ref = name.decode()
            if ref.startswith(HEADS):
                out.append((ref[len(HEADS) :], str(self.repo.references[ref].target)))
        return sorted(out)

    def ref_sha(self, full_ref: str) -> str | None:
        ref = self.repo.references.get(full_ref)
        return None if ref is None else str(ref.resolve().target)

    def branch_sha(self, branch: str) -> str | None:
        return self.ref_sha(HEADS + branch)

    def refs_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        return sorted(
            (name.decode(), str(self.repo.references[name.decode()].target))
            for name in self.repo.raw_listall_references()
            if name.decode().startswith(prefix)
        )

    def set_ref(self, full_ref: str, sha: str) -> None:
        self.repo.references.create(full_ref, pygit2.Oid(hex=sha), force=True)

    def delete_ref(self, full_ref: str) -> None:
        self.repo.references.delete(full_ref)

    # -- objects
    def get(self, sha: Any) -> Any:
        """An object by id; pygit2 types it as a bare Object, callers know what kind they asked for."""
        return self.repo.get(sha)

    def commit(self, sha: str) -> pygit2.Commit | None:
        obj: Any
        try:
            obj = self.get(sha) if len(sha) == 40 else self.repo.revparse_single(sha)
        except (KeyError, ValueError, pygit2.GitError):
            return None
        if obj is None:
            return None
        if isinstance(obj, pygit2.Tag):
            obj = obj.peel(pygit2.Commit)
        return obj if isinstance(obj, pygit2.Commit) else None

    def obj(self, sha: str) -> Any:
        try:
            return self.get(sha)
        except (KeyError, ValueError):
            return None

    def resolve(self, ref: str) -> pygit2.Commit | None:
        """A branch name, tag name, full ref or (abbreviated) sha, GitHub's order of preference."""
        for candidate in (ref, HEADS + ref, TAGS + ref):
            if candidate.startswith("refs/"):
                sha = self.ref_sha(candidate)
                if sha:
                    return self.commit(sha)
        if all(c in "0123456789abcdef" for c in ref.lower()) and 4 <= len(ref) <= 40:
            return self.commit(ref)
        return None

    def blob(self, data: bytes) -> str:
        return str(self.repo.create_blob(data))

    def write_tree(self, base_tree: str | None, changes: dict[str, tuple[Any, str] | None]) -> str:
        """Apply path -> (mode, blob or tree sha) or None (delete) to base_tree through an in-memory index."""
        index = pygit2.Index()
        if base_tree:
            index.read_tree(self.get(base_tree))
        for path, change in changes.items():
            if change is None:
                if path in index:
                    index.remove(path)
                else:
                    index.remove_directory(path)
                continue
            mode, sha = change
            if mode == FileMode.TREE:
                # Git trees cannot live in an index; expand the subtree into its blobs.
                tree = self.get(sha)
                sub = pygit2.Index()
                sub.read_tree(tree)
                for entry in sub:
                    index.add(pygit2.IndexEntry(f"{path}/{entry.path}", entry.id, entry.mode))
            else:
                index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=sha), mode))
        return str(index.write_tree(self.repo))

    def create_commit(
        self,
        tree: str,
        parents: list[str],
        message: str,
        author: pygit2.Signature,
        committer: pygit2.Signature,
    ) -> str:
        oids = [pygit2.Oid(hex=p) for p in parents]
        return str(self.repo.create_commit(None, author, committer, message, pygit2.Oid(hex=tree), oids))

    def commit_files(
        self,
        parent: str | None,
        files: dict[str, bytes | None],
        message: str,
        author: pygit2.Signature,
        committer: pygit2.Signature | None = None,
    ) -> str:
        base_tree = str(self.get(parent).tree_id) if parent else None
        changes: dict[str, tuple[int, str] | None] = {
            path: None if data is None else (FileMode.BLOB, self.blob(data)) for path, data in files.items()
        }
        tree = self.write_tree(base_tree, changes)
        return self.create_commit(tree, [parent] if parent else [], message, author, committer or author)

    def read_path(self, commit_sha: str, path: str) -> Any:
        tree = self.get(commit_sha).tree
        if path in ("", "/"):
            return tree
        try:
            entry = tree[path.strip("/")]
        except KeyError:
            return None
        return self.get(entry.id)

    # -- history
    def merge_base(self, a: str, b: str) -> str | None:
        base = self.repo.merge_base(pygit2.Oid(hex=a), pygit2.Oid(hex=b))
        return None if base is None else str(base)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return ancestor == descendant or bool(
            self.repo.descendant_of(pygit2.Oid(hex=descendant), pygit2.Oid(hex=ancestor))
        )

    def commits_between(self, base: str | None, head: str) -> list[pygit2.Commit]:
        """Commits reachable from head but not from base, oldest first (as compare lists them)."""
        walker = self.repo.walk(pygit2.Oid(hex=head), SortMode.TOPOLOGICAL | SortMode.REVERSE)
        if base:
            walker.hide(pygit2.Oid(hex=base))
        return list(walker)

    def log(self, head: str) -> list[pygit2.Commit]:
        return list(self.repo.walk(pygit2.Oid(hex=head), SortMode.TOPOLOGICAL | SortMode.TIME))

    def merge_tree(self, ours: str, theirs: str) -> tuple[str | None, list[str]]:
        """The tree of merging theirs into ours, or None and the conflicting paths."""
        index = self.repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        if index.conflicts is not None:
            paths = sorted({(a or b or c).path for a, b, c in index.conflicts})
            return None, paths
        return str(index.write_tree(self.repo)), []

    def pick_tree(self, commit_sha: str, onto: str) -> str | None:
        """Apply one commit's change onto another commit's tree (a cherry-pick), None on conflict."""
        commit = self.get(commit_sha)
        base = commit.parents[0].tree if commit.parents else self.get(self.write_tree(None, {}))
        index = self.repo.merge_trees(base, self.get(onto).tree, commit.tree)
        if index.conflicts is not None:
            return None
        return str(index.write_tree(self.repo))

    def diff(self, base: str | None, head: str) -> list[FileChange]:
        head_tree = self.get(head).tree
        if base:
            diff = self.repo.diff(self.get(base).tree, head_tree)
        else:
            diff = head_tree.diff_to_tree(swap=True)
        diff.find_similar()
        out = []
        status_names = {"A": "added", "D": "deleted", "M": "modified", "R": "renamed"}
        for patch in diff:
            assert patch is not None
            delta = patch.delta
            _, additions, deletions = patch.line_stats
            status = status_names.get(delta.status_char(), "changed")
            if status == "deleted":
                status = "removed"
            path = delta.new_file.path if status != "removed" else delta.old_file.path
            sha = str(delta.new_file.id if status != "removed" else delta.old_file.id)
            text = patch.text or ""
            body = text.split("\n@@", 1)
            out.append(
                FileChange(path, status, additions, deletions, sha, "@@" + body[1] if len(body) > 1 else "")
            )
        return out
