"""The route table and what a handler is given.

Routes are GitHub path templates, where {name:path} may contain '/' (refs, branches, paths). Each
`sandbox.api` module adds its own with `@route`; importing `sandbox.api` fills the table.
`Ctx` is one request as a handler sees it: the user, the path parameters, the query, the body, and
the helpers for the answers every area gives alike (a record or 404, a page with `Link`, 201 with
`Location`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sandbox import errors
from sandbox.models import permissions
from sandbox.state import Record

if TYPE_CHECKING:
    from sandbox.core import Sandbox
    from sandbox.gitstore import GitRepo
    from sandbox.views import Urls


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    sb: Sandbox
    urls: Urls
    user: Record
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def store(self):
        return self.sb.store

    @property
    def login(self) -> str:
        return str(self.user["login"])

    @property
    def repo(self) -> Record:
        repo = self.sb.store.repo(self.params["owner"], self.params["repo"])
        # A private repository is invisible (404) to a user without at least read access.
        if repo is None or not permissions.can_see(self.sb.store, repo, self.user.get("login")):
            raise errors.NotFound()
        return repo

    def require(self, needed: str) -> None:
        """404 unless the caller has at least the role `needed` in the repository (GitHub's answer)."""
        permissions.require(self.sb.store, self.repo, self.user.get("login"), needed)

    def at_least(self, role: str) -> bool:
        """Whether the caller has at least the role `role` in the repository."""
        return permissions.at_least(self.sb.store, self.repo, self.user.get("login"), role)

    @property
    def git(self) -> GitRepo:
        return self.sb.store.git(self.repo)

    def field(self, name: str, resource: str = "", required: bool = True) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        if name not in body or body[name] is None:
            if required:
                raise errors.missing_field(resource, name)
            return None
        return body[name]

    def find(self, collection: str, param: str) -> Record:
        """The repository's record in `collection` keyed by the path parameter `param`, else 404."""
        item = self.repo[collection].get(self.params[param])
        if item is None:
            raise errors.NotFound()
        return item

    def created(self, body: Any, below_repo: str) -> Reply:
        """201 with the new resource's URL (below the repository's API URL) in `Location`."""
        return Reply(201, body, {"Location": f"{self.urls.repo(self.repo)}{below_repo}"})

    def int_query(self, name: str, default: int) -> int:
        try:
            return int(self.query.get(name, default))
        except ValueError:
            return default

    def paginate(self, items: list[Any]) -> list[Any]:
        """per_page/page with GitHub's Link header (rel next, last, first, prev)."""
        per_page = max(1, min(100, self.int_query("per_page", 30)))
        page = max(1, self.int_query("page", 1))
        total = len(items)
        last = max(1, -(-total // per_page))
        links = []

        def link(n: int, rel: str) -> str:
            query = {**self.query, "per_page": str(per_page), "page": str(n)}
            qs = "&".join(f"{k}={v}" for k, v in query.items())
            return f'<{self.urls.api}{self.params["__path"]}?{qs}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if links:
            self.headers["Link"] = ", ".join(links)
        return items[(page - 1) * per_page : page * per_page]

    def counted(self, key: str, items: list[Any], render: Callable[[Any], Any]) -> Record:
        """GitHub's `{"total_count": n, key: [...]}` list shape, one page of it rendered."""
        return {"total_count": len(items), key: [render(item) for item in self.paginate(items)]}


Handler = Callable[[Ctx], Any]


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    literal: int
    public: bool


ROUTES: list[Route] = []


def compile_template(template: str) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name, _, kind = part[1:-1].partition(":")
            out += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(out)


def route(method: str, template: str, *, public: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        ROUTES.append(Route(method, template, compile_template(template), fn, literal, public))
        # Most literal text first: /branches/{b}/protection must win over /branches/{b}.
        ROUTES.sort(key=lambda r: -r.literal)
        return fn

    return register


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    allowed = False
    for r in ROUTES:
        m = r.regex.fullmatch(path)
        if m:
            if r.method == method:
                return r, {k: unquote(v) for k, v in m.groupdict().items()}
            allowed = True
    if allowed:
        raise errors.NotFound()
    return None
