"""Webhooks: repository hooks (CRUD, pings, deliveries, redelivery) and the App's own hook (JWT).

Deliveries themselves are made by sandbox/webhooks.py. A hook's secret is kept and shown as
`********`, as GitHub does; the App's webhook URL and secret are also set by the sandbox's control
`POST /_sandbox/apps/{slug}/hook` (the settings page of a real App).
"""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors, webhooks
from sandbox.api.apps import _app
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record, iso
from sandbox.views.repos import hook as hook_view

R = "/repos/{owner}/{repo}"
CONTENT_TYPES = ("json", "form")


def _key(ctx: Ctx, hook: Record) -> str:
    return f"repo:{ctx.repo['full_name']}:{hook['id']}"


def _hook(ctx: Ctx) -> Record:
    ctx.require("admin")
    found = next((h for h in ctx.repo["hooks"] if str(h["id"]) == ctx.params["hook_id"]), None)
    if found is None:
        raise errors.NotFound()
    return found


def _view(ctx: Ctx, hook: Record) -> Record:
    out = hook_view(ctx.urls, ctx.repo, hook)
    out["config"] = {k: v for k, v in hook["config"].items() if k != "secret"}
    if hook.get("secret"):
        out["config"]["secret"] = "********"
    last = webhooks.kept(ctx.sb, _key(ctx, hook))
    if last:
        code = last[0]["status_code"] or None
        out["last_response"] = {
            "code": code,
            "status": "active" if last[0]["status"] == "OK" else last[0]["status"],
            "message": None if code else last[0]["status"],
        }
    out["updated_at"] = out["updated_at"] if not hook.get("updated_at") else iso(hook["updated_at"])
    return out


def _apply(ctx: Ctx, hook: Record, creating: bool) -> None:
    config = ctx.field("config", "Hook", required=creating)
    if config is not None:
        if not isinstance(config, dict) or not config.get("url"):
            raise errors.custom("Hook", "url is missing")
        content_type = str(config.get("content_type", hook["config"].get("content_type", "form")))
        if content_type not in CONTENT_TYPES:
            raise errors.custom("Hook", "content_type is not included in the list")
        if "secret" in config:
            hook["secret"] = config["secret"] or None
        hook["config"] = {
            "content_type": content_type,
            "insecure_ssl": str(config.get("insecure_ssl", hook["config"].get("insecure_ssl", "0"))),
            "url": str(config["url"]),
        }
    events = ctx.field("events", required=False)
    if events is not None:
        hook["events"] = [str(e) for e in events]
    for name, change in (("add_events", 1), ("remove_events", -1)):
        for event in ctx.field(name, required=False) or []:
            if change > 0 and event not in hook["events"]:
                hook["events"].append(str(event))
            if change < 0 and event in hook["events"]:
                hook["events"].remove(event)
    active = ctx.field("active", required=False)
    if active is not None:
        hook["active"] = bool(active)
    hook["updated_at"] = time.time()
    ctx.store.touch()


def _ping(ctx: Ctx, hook: Record) -> None:
    view = _view(ctx, hook)
    webhooks.emit(ctx.sb, ctx.repo, "ping", None, ctx.login, webhooks.ping_payload(ctx.urls, view), only=hook)


@route("GET", R + "/hooks")
def list_hooks(ctx: Ctx) -> Any:
    ctx.require("admin")
    return [_view(ctx, h) for h in ctx.paginate(ctx.repo["hooks"])]


@route("POST", R + "/hooks")
def create_hook(ctx: Ctx) -> Any:
    ctx.require("admin")
    hook: Record = {
        "id": ctx.store.new_id(),
        "active": True,
        "events": ["push"],
        "config": {"content_type": "form", "insecure_ssl": "0"},
        "secret": None,
        "created_at": time.time(),
    }
    _apply(ctx, hook, creating=True)
    ctx.repo["hooks"].append(hook)
    # GitHub pings a new hook at once.
    _ping(ctx, hook)
    return ctx.created(_view(ctx, hook), f"/hooks/{hook['id']}")


@route("GET", R + "/hooks/{hook_id}")
def get_hook(ctx: Ctx) -> Any:
    return _view(ctx, _hook(ctx))


@route("PATCH", R + "/hooks/{hook_id}")
def update_hook(ctx: Ctx) -> Any:
    hook = _hook(ctx)
    _apply(ctx, hook, creating=False)
    return _view(ctx, hook)


@route("DELETE", R + "/hooks/{hook_id}")
def delete_hook(ctx: Ctx) -> Any:
    hook = _hook(ctx)
    ctx.repo["hooks"].remove(hook)
    ctx.store.touch()
    return Reply(204)


@route("POST", R + "/hooks/{hook_id}/pings")
def ping_hook(ctx: Ctx) -> Any:
    _ping(ctx, _hook(ctx))
    return Reply(204)


@route("GET", R + "/hooks/{hook_id}/deliveries")
def list_deliveries(ctx: Ctx) -> Any:
    return _list(ctx, _key(ctx, _hook(ctx)))


@route("GET", R + "/hooks/{hook_id}/deliveries/{delivery_id}")
def get_delivery(ctx: Ctx) -> Any:
    return _one(ctx, _key(ctx, _hook(ctx)))


@route("POST", R + "/hooks/{hook_id}/deliveries/{delivery_id}/attempts")
def redeliver(ctx: Ctx) -> Any:
    return _again(ctx, _key(ctx, _hook(ctx)))


def _list(ctx: Ctx, key: str) -> Any:
    per_page = max(1, min(100, ctx.int_query("per_page", 30)))
    return [webhooks.delivery_view(d) for d in webhooks.kept(ctx.sb, key)[:per_page]]


def _one(ctx: Ctx, key: str) -> Any:
    found = webhooks.find(ctx.sb, key, ctx.params["delivery_id"])
    if found is None:
        raise errors.NotFound()
    return webhooks.delivery_view(found, full=True)


def _again(ctx: Ctx, key: str) -> Any:
    found = webhooks.find(ctx.sb, key, ctx.params["delivery_id"])
    if found is None:
        raise errors.NotFound()
    webhooks.redeliver(ctx.sb, key, found)
    return Reply(202, {})


# -- the App's webhook (authenticated as the App: a JWT)


@route("GET", "/app/hook/config")
def get_app_hook(ctx: Ctx) -> Any:
    return webhooks.app_hook_config(_app(ctx))


@route("PATCH", "/app/hook/config")
def update_app_hook(ctx: Ctx) -> Any:
    app = _app(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    values = {k: body[k] for k in ("url", "secret", "content_type", "insecure_ssl") if k in body}
    webhooks.set_app_hook(ctx.sb, app, values)
    return webhooks.app_hook_config(app)


@route("GET", "/app/hook/deliveries")
def list_app_deliveries(ctx: Ctx) -> Any:
    return _list(ctx, webhooks.app_key(_app(ctx)["slug"]))


@route("GET", "/app/hook/deliveries/{delivery_id}")
def get_app_delivery(ctx: Ctx) -> Any:
    return _one(ctx, webhooks.app_key(_app(ctx)["slug"]))


@route("POST", "/app/hook/deliveries/{delivery_id}/attempts")
def redeliver_app(ctx: Ctx) -> Any:
    return _again(ctx, webhooks.app_key(_app(ctx)["slug"]))
