"""Everything that is not git: users, pulls, runs, deployments, timers. One JSON document, saved atomically.

Why one JSON file and not SQLite: the state is small (a sandbox holds a handful of repositories), every
request runs on one event-loop thread, and a whole-file atomic replace after each mutating request can
never leave a half-written state behind. The git objects live in real repositories next to it.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.gitstore import GitRepo

Record = dict[str, Any]
STATE_FILE = "state.json"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    text = text.strip()
    if len(text) == 10:
        text += "T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Store:
    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / STATE_FILE
        self.data: Record = {}
        self.dirty = False
        self._git: dict[str, GitRepo] = {}

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> None:
        self.data = json.loads(self.path.read_text())

    def init_empty(self, settings: Record) -> None:
        self.data = {
            "next_id": 1000,
            "settings": settings,
            "users": {},
            "tokens": {},
            "orgs": {},
            "repos": {},
            "timers": [],
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, separators=(",", ":")))
        os.replace(tmp, self.path)
        self.dirty = False

    def touch(self) -> None:
        self.dirty = True

    def new_id(self) -> int:
        self.data["next_id"] += 1
        self.dirty = True
        return int(self.data["next_id"])

    def add(self, repo: Record, collection: str, **fields: Any) -> Record:
        """A new record with the next id, kept in the repository's `collection` under that id."""
        record: Record = {"id": self.new_id(), **fields}
        repo[collection][str(record["id"])] = record
        self.dirty = True
        return record

    # -- lookups
    @property
    def settings(self) -> Record:
        return self.data["settings"]

    def user(self, login: str) -> Record | None:
        return self.data["users"].get(login)

    def user_for_token(self, token: str) -> Record | None:
        login = self.data["tokens"].get(token)
        return None if login is None else self.user(login)

    def repo(self, owner: str, name: str) -> Record | None:
        return self.data["repos"].get(f"{owner}/{name}".lower())

    def git(self, repo: Record) -> GitRepo:
        key = repo["full_name"]
        if key not in self._git:
            self._git[key] = GitRepo(self.dir / "repos" / f"{key}.git")
        return self._git[key]

    # -- timers: due times are wall-clock epochs so that a restart resumes them.
    def add_timer(self, kind: str, repo: Record, target: int, delay: float, **extra: Any) -> None:
        self.data["timers"].append(
            {"kind": kind, "repo": repo["full_name"], "target": target, "due": time.time() + delay, **extra}
        )
        self.dirty = True

    def due_timers(self, now: float) -> list[Record]:
        due = [t for t in self.data["timers"] if t["due"] <= now]
        if due:
            self.data["timers"] = [t for t in self.data["timers"] if t["due"] > now]
            self.dirty = True
        return sorted(due, key=lambda t: t["due"])

    def next_due(self) -> float | None:
        return min((t["due"] for t in self.data["timers"]), default=None)
