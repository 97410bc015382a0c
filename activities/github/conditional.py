"""Conditional looks: a poll asks GitHub "changed since?" with the ETags of its last look, for free.

A poll attempt is one look (activities/waits.py). When a look finds nothing new, the ETags of its GETs
go into the activity's heartbeat details, which Temporal hands to the next attempt of the same
activity (its retry one poll interval later, on whichever worker polls; nothing is kept in a worker,
nothing enters the workflow's input or history). That attempt first sends the same GETs with
`If-None-Match`: when every one answers 304 Not Modified (which costs no rate-limit point on
github.com) nothing has changed and the attempt is over. The first 200 ends the probe; the full look
then runs, reusing that answer, so a change costs no extra request.

A new poll activity (the first of a wait, or one restarted by a nudge) has no details, and must
report what it sees. Its GETs still go out with `If-None-Match` when this worker keeps the answer
behind the ETag (`Bodies`: the raw JSON of the last answer to each GET of any activity, least recently
used first out, at most BODIES_BYTES), so a nudged look at an unchanged PR costs nothing either, nor
does a step's read of what has not changed since (rules, protection, a run); an answer the worker
does not keep is read in full. A look that got an error or a 404 on any GET keeps no ETags: what it
did not see could have changed unseen. What a look caches in the worker rather than asks (who may
approve, refreshed once in a while) is read again only once one of the GETs changes.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

# The key of the heartbeat detail that carries a look's ETags.
DETAIL = "etags"
# What a worker keeps of its GETs' last answers (raw JSON): a PR is ~20 KB, so about a thousand.
BODIES_BYTES = 16 * 1024 * 1024
# A PR's commits follow from its head and base, both in the PR's own answer (and so in its ETag): when
# the PR answers 304 its commits are those of the last look, and the probe does not ask for them
# (one request less per look at approval). What could still differ unseen only errs strict: a base
# that moved can only take commits out of the list, so the authors kept are a superset.
_FOLLOWS_PULL = re.compile(r"^(?P<pull>.*/pulls/\d+)/commits$")


def key(url: str, params: dict[str, Any] | None) -> str:
    return url + ("?" + urlencode(sorted((str(k), str(v)) for k, v in params.items())) if params else "")


@dataclass
class Seen:
    url: str
    params: dict[str, Any] | None
    etag: str


@dataclass
class Look:
    """The GETs of one look: those it answered from the probe, and what each answered."""

    previous: list[Seen] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    reuse: dict[str, tuple[dict[str, Any], Any]] = field(default_factory=dict)
    complete: bool = True

    def record(self, url: str, params: dict[str, Any] | None, headers: dict[str, Any]) -> None:
        tag = headers.get("etag")
        if tag:
            self.seen.append(Seen(url, dict(params) if params else None, str(tag)))
        else:
            self.complete = False

    def details(self) -> dict[str, Any] | None:
        """What the next attempt probes with; None when this look cannot vouch for what it saw."""
        if not self.complete or not self.seen:
            return None
        return {DETAIL: [[s.url, s.params, s.etag] for s in self.seen]}


_look: contextvars.ContextVar[Look | None] = contextvars.ContextVar("conditional_look", default=None)


def current() -> Look | None:
    return _look.get()


def begin(look: Look) -> contextvars.Token[Look | None]:
    """Make `look` the current one (GitHub threads started from here on inherit it)."""
    return _look.set(look)


def end(token: contextvars.Token[Look | None]) -> None:
    _look.reset(token)


def from_heartbeat(details: Sequence[Any]) -> list[Seen]:
    """The ETags an earlier attempt left in its heartbeat details (anything else: none)."""
    for detail in details:
        if isinstance(detail, dict) and isinstance(detail.get(DETAIL), list):
            out = []
            for item in detail[DETAIL]:
                if (
                    isinstance(item, list)
                    and len(item) == 3
                    and isinstance(item[0], str)
                    and isinstance(item[2], str)
                ):
                    params = item[1] if isinstance(item[1], dict) else None
                    out.append(Seen(item[0], params, item[2]))
            return out
    return []


Request = Callable[..., tuple[int, dict[str, Any], str]]


def unchanged(look: Look, request: Request, checkpoint: Callable[[], None]) -> bool:
    """Probe with the previous look's ETags (PyGithub's `requestJson`): True when every one is 304.
    The first other answer stops the probe; a 200 is kept for the full look to reuse."""
    not_modified: set[str] = set()
    for seen in look.previous:
        follows = _FOLLOWS_PULL.match(seen.url)
        if follows and follows["pull"] in not_modified:
            continue
        checkpoint()
        status, headers, body = request("GET", seen.url, seen.params, {"If-None-Match": seen.etag})
        if status == 304:
            if not seen.params:
                not_modified.add(seen.url)
            continue
        if status == 200:
            data = json.loads(body) if body else None
            if isinstance(data, dict) and "url" not in data:
                data["url"] = seen.url  # as PyGithub's requestJsonAndCheck does for GETs
            look.reuse[key(seen.url, seen.params)] = (headers, data)
        return False
    return bool(look.previous)


@dataclass(frozen=True)
class Kept:
    etag: str
    text: str
    link: str


class Bodies:
    """The worker's last answer to each GET its polls made (thread-safe, least recently used out)."""

    def __init__(self, max_bytes: int = BODIES_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Kept] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, name: str) -> Kept | None:
        with self._lock:
            kept = self._items.get(name)
            if kept is not None:
                self._items.move_to_end(name)
            return kept

    def put(self, name: str, kept: Kept) -> None:
        if len(kept.text) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(name, None)
            if old is not None:
                self._size -= len(old.text)
            self._items[name] = kept
            self._size += len(kept.text)
            while self._size > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.text)

    @property
    def size(self) -> int:
        return self._size


def structured(text: str) -> Any:
    """JSON text as PyGithub's requester reads it (an empty body is None)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        if text.startswith(("{", "[")):
            raise
        return {"data": text}


def may_have_grown(url: str, params: dict[str, Any] | None, text: str, link: str) -> bool:
    """A page answered 304 that was full and has no next page: its ETag vouches for its items, not that
    no page follows (a list that grew by one item gains a page, and this one's body is the same)."""
    if 'rel="next"' in link:
        return False
    per_page = (params or {}).get("per_page") or parse_qs(urlsplit(url).query).get("per_page", [None])[0]
    if not per_page:
        return False
    data = structured(text)
    if isinstance(data, dict):
        data = next((value for value in data.values() if isinstance(value, list)), [])
    return isinstance(data, list) and len(data) >= int(per_page)
