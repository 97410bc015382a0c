"""The ASGI application: auth, faults, routing, pagination and rate-limit headers, the request log."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from sandbox import api, apps, errors, populate, profiles, responses, webhooks  # noqa: F401 - importing sandbox.api fills the route table
from sandbox.core import Fault, Sandbox
from sandbox.models import grants
from sandbox.routing import Ctx, Reply, match
from sandbox.state import Record
from sandbox.views import Urls

RATE_LIMIT = 5000
JSON_TYPE = b"application/json; charset=utf-8"
# GitHub answers a few endpoints without a token; everything else needs one here (repos are private).
ANONYMOUS_OK = {"/", "/meta", "/rate_limit"}

Scope = dict[str, Any]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode().lower(): v.decode() for k, v in scope["headers"]}


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _encode(body: Any) -> bytes:
    return b"" if body is None else json.dumps(body, separators=(",", ":")).encode()


async def _send(send: Any, status: int, body: Any, headers: dict[str, str], raw: bytes | None = None) -> None:
    raw = _encode(body) if raw is None else raw
    out = [(k.lower().encode(), str(v).encode()) for k, v in headers.items()]
    if body is not None:
        out.append((b"content-type", JSON_TYPE))
    out.append((b"content-length", str(len(raw)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": raw})


class App:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.used: dict[str, int] = {}
        self.window = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        prefix = self.sb.profile.api_prefix  # "" on github.com, /api/v3 on GHES
        if path.startswith("/_sandbox/"):
            await self._control(scope, receive, send, path[len("/_sandbox/") :])
        elif not prefix or path == prefix or path.startswith(prefix + "/"):
            await self._api(scope, receive, send, path[len(prefix) :] or "/")
        else:
            await _send(send, 404, {"message": "Not Found"}, {})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.sb.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.sb.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _rate_headers(self, login: str | None) -> dict[str, str]:
        if not self.sb.profile.rate_limits:
            return {}
        now = int(time.time())
        window = now - now % 3600
        if window != self.window:
            self.window, self.used = window, {}
        key = login or "-"
        used = self.used[key] = self.used.get(key, 0) + 1
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - used)),
            "X-RateLimit-Reset": str(window + 3600),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Resource": "core",
        }

    def _refund(self, login: str | None, given: dict[str, str]) -> dict[str, str]:
        if "X-RateLimit-Used" not in given:
            return {}
        key = login or "-"
        used = self.used[key] = max(0, self.used.get(key, 1) - 1)
        return {"X-RateLimit-Remaining": str(max(0, RATE_LIMIT - used)), "X-RateLimit-Used": str(used)}

    async def _api(self, scope: Scope, receive: Any, send: Any, path: str) -> None:
        method = scope["method"]
        query_string = scope.get("query_string", b"").decode()
        entry: Record = {
            "method": method,
            "path": path,
            "query": query_string,
            "user": None,
            "timestamp": time.time(),
        }
        self.sb.requests.append(entry)
        headers = _headers(scope)
        fault = self.sb.take_fault(method, path)
        # The whole request first: one that is delayed is applied as sent, even if the client left.
        raw = await _read_body(receive)
        if fault is not None:
            entry["fault"] = True
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if not fault.applied and await self._fail(fault, entry, receive, send):
                return
        status, body, out_headers = self._handle(method, path, query_string, headers, raw, entry)
        entry["status"] = status
        if fault is not None and fault.applied:
            entry["applied_status"] = status
            if await self._fail(fault, entry, receive, send):
                return
        raw_out = _encode(body)
        if method == "GET" and status == 200:
            tag = out_headers["ETag"] = responses.etag(raw_out)
            if responses.not_modified(method, status, headers, tag):
                status, body, raw_out = 304, None, b""
                entry["status"] = status
                # Like github.com, a 304 is free: give back the point _handle counted for it.
                out_headers.update(self._refund(entry["user"], out_headers))
        if self.sb.record_bodies:
            entry["response"] = body
        if self.sb.observer is not None:
            # The exact bytes sent, so what is checked later is what the client got.
            self.sb.observer(method, path, status, raw_out)
        await _send(send, status, body, out_headers, raw_out)
        # When the answer left: with `timestamp`, how long the sandbox took (bench/) and whether two
        # requests overlapped (the worker's one-write-at-a-time rule, tests/activities).
        entry["answered"] = time.time()

    async def _fail(self, fault: Fault, entry: Record, receive: Any, send: Any) -> bool:
        """Answer as the fault says (a dropped connection or its status); False: answer normally."""
        if fault.drop:
            entry["status"] = None
            self._drop(receive)
            # Let the transport report the loss, so uvicorn does not answer for us.
            await asyncio.sleep(0.01)
            return True
        if fault.status is not None:
            entry["status"] = fault.status
            body = fault.body if fault.body is not None else {"message": "Injected fault"}
            await _send(send, fault.status, body, dict(fault.headers))
            return True
        return False

    @staticmethod
    def _drop(receive: Any) -> None:
        # uvicorn's receive is a bound method of the request cycle that owns the socket transport.
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()

    def _handle(
        self, method: str, path: str, query_string: str, headers: dict[str, str], raw: bytes, entry: Record
    ) -> tuple[int, Any, dict[str, str]]:
        host = headers.get("host", "localhost")
        profile = self.sb.profile
        urls = self.sb.urls = Urls(api=f"http://{host}{profile.api_prefix}", web=f"http://{host}")
        user: Record | None = None
        out_headers: dict[str, str] = {}
        try:
            out_headers.update(responses.version_headers(profile, headers))
            auth = headers.get("authorization", "")
            token = auth.split(" ", 1)[1].strip() if " " in auth else ""
            if token:
                user = self.sb.store.user_for_token(token) or apps.authenticate(self.sb.store, token)
                if user is None:
                    raise errors.Unauthorized("Bad credentials")
                entry["user"] = user["login"]
            out_headers.update(self._rate_headers(entry["user"]))
            found = match(method, path)
            if found is None:
                raise errors.NotFound()
            route, params = found
            if user is None and not route.public:
                raise errors.Unauthorized("Requires authentication")
            entry["route"] = route.template
            body: Any = None
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise errors.BadRequest("Problems parsing JSON") from None
            query = dict(parse_qsl(query_string, keep_blank_values=True))
            ctx = Ctx(self.sb, urls, user or {"login": None}, {**params, "__path": path}, query, body)
            if "owner" in params and "repo" in params and not (user or {}).get("jwt_app"):
                # A repository the caller cannot see is 404 before any 403. The App itself (its JWT)
                # is no reader of repositories: its one repository route finds its installation.
                ctx.repo  # noqa: B018
            grants.check(self.sb.store, user, method, route.template)
            result = route.handler(ctx)
            out_headers.update(ctx.headers)
            if isinstance(result, Reply):
                out_headers.update(result.headers)
                status, payload = result.status, result.body
            else:
                status, payload = 200, result
        except errors.ApiError as exc:
            out_headers.update(exc.headers)
            if "X-RateLimit-Limit" not in out_headers:
                out_headers.update(self._rate_headers(entry["user"]))
            status, payload = exc.status, exc.body()
            payload["documentation_url"] = profiles.docs_url(profile, payload["documentation_url"])
        out_headers.update(responses.headers(method, entry.get("route"), status, payload))
        self.sb.save_soon()
        return status, payload, out_headers

    async def _configure(self, send: Any, full_name: str, body: Any) -> None:
        """POST /_sandbox/repos/{owner}/{repo}: change a running repository's rules (populate.SETTINGS)."""
        repo = self.sb.store.data["repos"].get(full_name.lower())
        if repo is None or not isinstance(body, dict):
            await _send(send, 404 if repo is None else 400, {"message": "Not Found"}, {})
            return
        unknown = sorted(set(body) - set(populate.SETTINGS))
        if unknown:
            await _send(send, 400, {"message": f"unknown settings: {', '.join(unknown)}"}, {})
            return
        populate.configure(self.sb.store, repo, body)
        self.sb.store.save()
        await _send(send, 200, {k: repo.get("team_permissions" if k == "teams" else k) for k in body}, {})

    async def _control(self, scope: Scope, receive: Any, send: Any, what: str) -> None:
        method = scope["method"]
        raw = await _read_body(receive)
        body = json.loads(raw) if raw.strip() else {}
        if what == "requests":
            if method == "DELETE":
                self.sb.requests.clear()
                await _send(send, 204, None, {})
            else:
                await _send(send, 200, self.sb.requests, {})
        elif what == "faults":
            if method == "POST":
                specs = body if isinstance(body, list) else [body]
                for spec in specs:
                    self.sb.add_fault(spec)
                await _send(send, 201, {"faults": len(self.sb.faults)}, {})
            elif method == "DELETE":
                self.sb.faults.clear()
                await _send(send, 204, None, {})
            else:
                listing = [
                    {
                        "method": f.method,
                        "path": f.path.pattern,
                        "status": f.status,
                        "drop": f.drop,
                        "applied": f.applied,
                        "count": f.count,
                    }
                    for f in self.sb.faults
                ]
                await _send(send, 200, listing, {})
        elif what == "settings":
            if method == "POST":
                try:
                    await _send(send, 200, self.sb.update_settings(body), {})
                except ValueError as err:
                    await _send(send, 400, {"message": str(err)}, {})
            else:
                await _send(send, 200, self.sb.update_settings({}), {})
        elif what.startswith("repos/") and method == "POST":
            await self._configure(send, what[len("repos/") :], body)
        elif what.startswith("apps/") and what.endswith("/hook"):
            # The App's webhook (URL, secret, content type, active), as on a real App's settings page.
            app = self.sb.store.data.get("apps", {}).get(what[len("apps/") : -len("/hook")])
            if app is None or not app.get("hosted"):
                await _send(send, 404, {"message": "Not Found"}, {})
                return
            if method == "POST" and isinstance(body, dict):
                webhooks.set_app_hook(self.sb, app, body)
                self.sb.store.save()
            await _send(send, 200, webhooks.app_hook_config(app), {})
        elif what.startswith("apps/"):
            # Install (POST apps/{slug}/installations) or uninstall (DELETE apps/installations/{id}).
            status, out = apps.control(self.sb.store, method, what[len("apps/") :], body)
            self.sb.store.save()
            await _send(send, status, out, {})
        elif what == "tick" and method == "POST":
            # Fires every timer that is due now; the clock task does this by itself, tests rarely need it.
            self.sb.fire_due()
            await _send(send, 200, {"timers": len(self.sb.store.data["timers"])}, {})
        else:
            await _send(send, 404, {"message": "Not Found"}, {})
