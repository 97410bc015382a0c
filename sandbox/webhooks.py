"""Webhook deliveries, as GitHub makes them: the App's webhook and repository webhooks.

Who is told of an event (`emit`, called by the models where the state changes):
- every active repository webhook (`/repos/{owner}/{repo}/hooks`) whose `events` name the event (or
  `*`); its payload has no `installation`;
- every hosted App with a webhook URL (`/app/hook/config`, or the sandbox's control
  `POST /_sandbox/apps/{slug}/hook`) that is installed on the repository and subscribes to the event
  (the App's `events`); its payload names the installation.

The payload is built when the event happens (the state as it is then) and only if someone listens;
the POST is made off the request path, by one background thread, so the API never waits for a
receiver. Each delivery is a POST with GitHub's headers (`X-GitHub-Event`, `X-GitHub-Delivery` (a
GUID), `X-GitHub-Hook-ID`, `X-GitHub-Hook-Installation-Target-Type`/`-ID`, `X-Hub-Signature-256`
and `X-Hub-Signature` when a secret is set, `User-Agent: GitHub-Hookshot/…`), JSON or, for hooks
with `content_type: form`, `payload=<JSON>`. GitHub waits 10 s for an answer and does not retry by
itself: a failed delivery stays failed until someone redelivers it (same GUID, `redelivery: true`).
Deliveries are listed per hook (newest first), kept in memory (the last MAX_KEPT per hook).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from sandbox import apps
from sandbox.state import Record, iso
from sandbox.views import Urls, node_id
from sandbox.views.repos import repository
from sandbox.views.users import simple_user

if TYPE_CHECKING:
    from sandbox.core import Sandbox

log = logging.getLogger("sandbox.webhooks")

USER_AGENT = "GitHub-Hookshot/sandbox"
TIMEOUT = 10.0
MAX_KEPT = 500
Build = Callable[[Urls], Record]


def deliverer(sb: Sandbox) -> Deliverer:
    if sb.deliverer is None:
        sb.deliverer = Deliverer()
    return sb.deliverer


def app_key(slug: str) -> str:
    return f"app:{slug}"


class Deliverer:
    """One background thread that POSTs the queued deliveries, in order, and records the answers."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Record | None] = queue.Queue()
        self.kept: dict[str, list[Record]] = {}
        self._ids = iter(range(1, 1 << 62))
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(
        self,
        hook_key: str,
        target: Record,
        event: str,
        action: str | None,
        payload: Record,
        guid: str | None = None,
    ) -> Record:
        with self._lock:
            delivery_id = next(self._ids)
        body_json = json.dumps(payload, separators=(",", ":")).encode()
        delivery: Record = {
            "id": delivery_id,
            "guid": guid or str(uuid.uuid4()),
            "hook": hook_key,
            "target": target,
            "event": event,
            "action": action,
            "body": body_json,
            "redelivery": guid is not None,
            "installation_id": (payload.get("installation") or {}).get("id"),
            "repository_id": (payload.get("repository") or {}).get("id"),
            "delivered_at": time.time(),
            "status": "pending",
            "status_code": 0,
            "duration": 0.0,
        }
        with self._lock:
            kept = self.kept.setdefault(hook_key, [])
            kept.insert(0, delivery)
            del kept[MAX_KEPT:]
        self._ensure_thread()
        self.queue.put(delivery)
        return delivery

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.queue.put(None)
            self._thread.join(timeout)

    def idle(self) -> bool:
        """Whether every queued delivery has been made (tests wait on it)."""
        return self.queue.unfinished_tasks == 0

    def _run(self) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            while True:
                delivery = self.queue.get()
                try:
                    if delivery is None:
                        return
                    self._post(client, delivery)
                finally:
                    self.queue.task_done()

    @staticmethod
    def request_headers(delivery: Record) -> tuple[dict[str, str], bytes]:
        target = delivery["target"]
        body: bytes = delivery["body"]
        content_type = "application/json"
        if target.get("content_type") == "form":
            content_type = "application/x-www-form-urlencoded"
            body = urlencode({"payload": body.decode()}).encode()
        headers = {
            "Accept": "*/*",
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": delivery["event"],
            "X-GitHub-Delivery": delivery["guid"],
            "X-GitHub-Hook-ID": str(target["hook_id"]),
            "X-GitHub-Hook-Installation-Target-Type": target["target_type"],
            "X-GitHub-Hook-Installation-Target-ID": str(target["target_id"]),
        }
        secret = target.get("secret")
        if secret:
            key = str(secret).encode()
            headers["X-Hub-Signature"] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return headers, body

    def _post(self, client: httpx.Client, delivery: Record) -> None:
        headers, body = self.request_headers(delivery)
        started = time.monotonic()
        try:
            answer = client.post(delivery["target"]["url"], content=body, headers=headers)
            code, text = answer.status_code, answer.text[:1000]
            delivery["response_headers"] = dict(answer.headers)
            status = "OK" if 200 <= code < 300 else f"Invalid HTTP Response: {code}"
        except httpx.TimeoutException:
            code, text, status = 0, "", "timed out"
        except httpx.HTTPError as err:
            code, text, status = 0, "", f"failed to connect to host: {type(err).__name__}"
        delivery.update(
            status=status, status_code=code, duration=round(time.monotonic() - started, 3), response=text
        )
        if code == 0 or code >= 300:
            log.info("webhook delivery %s to %s: %s", delivery["guid"], delivery["target"]["url"], status)


def _targets(
    sb: Sandbox, repo: Record, event: str, only: Record | None = None
) -> list[tuple[str, Record, Record | None]]:
    """(hook key, where and how to deliver, the installation for App hooks) of those who listen."""
    out: list[tuple[str, Record, Record | None]] = []
    for hook in repo.get("hooks", []):
        if only is not None and hook is not only:
            continue
        if hook["active"] and (event in hook["events"] or "*" in hook["events"] or event == "ping"):
            config = hook["config"]
            target = {
                "url": config["url"],
                "secret": hook.get("secret"),
                "content_type": config.get("content_type", "form"),
                "hook_id": hook["id"],
                "target_type": "repository",
                "target_id": repo["id"],
            }
            out.append((f"repo:{repo['full_name']}:{hook['id']}", target, None))
    if event == "ping":
        return out
    for app in sb.store.data.get("apps", {}).values():
        webhook = app.get("webhook") or {}
        if not (app.get("hosted") and webhook.get("url") and webhook.get("active", True)):
            continue
        if event not in (app.get("events") or []):
            continue
        installation = apps.installation_for(sb.store, app["slug"], repo)
        if installation is None:
            continue
        target = {
            "url": webhook["url"],
            "secret": webhook.get("secret"),
            "content_type": webhook.get("content_type", "json"),
            "hook_id": webhook["id"],
            "target_type": "integration",
            "target_id": app["id"],
        }
        out.append((app_key(app["slug"]), target, installation))
    return out


def listening(sb: Sandbox, repo: Record, event: str) -> bool:
    return bool(_targets(sb, repo, event))


def emit(
    sb: Sandbox,
    repo: Record,
    event: str,
    action: str | None,
    sender: str | None,
    build: Build,
    only: Record | None = None,
) -> None:
    """Deliver `event` about `repo` to everyone who listens (or the one hook `only`); `build` gives the
    event's own fields."""
    targets = _targets(sb, repo, event, only)
    if not targets:
        return
    urls = sb.urls
    body: Record = {} if action is None else {"action": action}
    body.update(build(urls))
    body["repository"] = repository(urls, sb.store, repo)
    owner = sb.store.data["orgs"].get(repo["owner"])
    if owner is not None:
        body["organization"] = organization(urls, owner)
    who = sb.store.user(sender or "") if sender else None
    body["sender"] = simple_user(urls, who or {"login": sender or "ghost", "id": 10137})
    body = webhook_shape(body)
    for key, target, installation in targets:
        payload = dict(body)
        if installation is not None:
            payload["installation"] = {
                "id": installation["id"],
                "node_id": node_id("Installation", installation["id"]),
            }
        deliverer(sb).submit(key, target, event, action, payload)


# Where a webhook's objects differ from the REST API's (GitHub renders them apart; the schemas of
# `@octokit/webhooks-schemas` are closed): fields REST has and webhooks lack, and the reverse.
_REPO_ONLY_REST = ("network_count", "subscribers_count", "temp_clone_token", "security_and_analysis")
_REPO_HOOK_DEFAULTS: Record = {"web_commit_signoff_required": False, "custom_properties": {}}


def webhook_shape(node: Any) -> Any:
    """The payload with each user and repository in the webhook shape, recursively."""
    if isinstance(node, list):
        return [webhook_shape(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: webhook_shape(v) for k, v in node.items()}
    if "login" in out and "avatar_url" in out:
        out.pop("user_view_type", None)
    if "full_name" in out and "hooks_url" in out and "owner" in out:
        for key in _REPO_ONLY_REST:
            out.pop(key, None)
        if "created_at" in out:  # a full repository (not the minimal one inside runs and suites)
            for key, value in _REPO_HOOK_DEFAULTS.items():
                out.setdefault(key, value)
    return out


def organization(u: Urls, org: Record) -> Record:
    login = org["login"]
    base = f"{u.api}/orgs/{login}"
    return {
        "login": login,
        "id": org["id"],
        "node_id": node_id("Organization", org["id"]),
        "url": base,
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events",
        "hooks_url": f"{base}/hooks",
        "issues_url": f"{base}/issues",
        "members_url": f"{base}/members{{/member}}",
        "public_members_url": f"{base}/public_members{{/member}}",
        "avatar_url": f"{u.web}/avatars/{login}",
        "description": None,
    }


# -- what the REST API shows of deliveries


def delivery_view(delivery: Record, full: bool = False) -> Record:
    out: Record = {
        "id": delivery["id"],
        "guid": delivery["guid"],
        "delivered_at": iso(delivery["delivered_at"]),
        "redelivery": delivery["redelivery"],
        "duration": delivery["duration"],
        "status": delivery["status"],
        "status_code": delivery["status_code"],
        "event": delivery["event"],
        "action": delivery["action"],
        "installation_id": delivery["installation_id"],
        "repository_id": delivery["repository_id"],
        "throttled_at": None,
    }
    if full:
        headers, _ = Deliverer.request_headers(delivery)
        headers.pop("X-Hub-Signature", None)
        headers.pop("X-Hub-Signature-256", None)
        out["url"] = delivery["target"]["url"]
        out["request"] = {"headers": headers, "payload": json.loads(delivery["body"])}
        out["response"] = {
            "headers": delivery.get("response_headers") or {},
            "payload": delivery.get("response") or None,
        }
    return out


def kept(sb: Sandbox, hook_key: str) -> list[Record]:
    with deliverer(sb)._lock:
        return list(deliverer(sb).kept.get(hook_key, []))


def find(sb: Sandbox, hook_key: str, delivery_id: str) -> Record | None:
    return next((d for d in kept(sb, hook_key) if str(d["id"]) == delivery_id), None)


def redeliver(sb: Sandbox, hook_key: str, delivery: Record) -> Record:
    """The same payload and GUID again, to where the hook points now."""
    return deliverer(sb).submit(
        hook_key,
        delivery["target"],
        delivery["event"],
        delivery["action"],
        json.loads(delivery["body"]),
        guid=delivery["guid"],
    )


def set_app_hook(sb: Sandbox, app: Record, values: Record) -> Record:
    """The App's webhook: url, secret, content_type, insecure_ssl, active (as GitHub's App settings)."""
    webhook = app.setdefault(
        "webhook", {"id": sb.store.new_id(), "content_type": "json", "insecure_ssl": "0"}
    )
    for key in ("url", "secret", "content_type", "insecure_ssl", "active"):
        if key in values:
            webhook[key] = values[key]
    sb.store.touch()
    return webhook


def configure_hosted_apps(sb: Sandbox, url: str, secret: str) -> None:
    """Point every hosted App's webhook at `url` with `secret` (the sandbox's command line)."""
    for app in sb.store.data.get("apps", {}).values():
        if app.get("hosted"):
            set_app_hook(sb, app, {"url": url, "secret": secret or None, "active": True})
    sb.store.save()


def app_hook_config(app: Record) -> Record:
    webhook = app.get("webhook") or {}
    out: Record = {
        "content_type": webhook.get("content_type", "json"),
        "insecure_ssl": str(webhook.get("insecure_ssl", "0")),
        "url": webhook.get("url"),
    }
    if webhook.get("secret"):
        out["secret"] = "********"
    return out


def ping_payload(u: Urls, hook_view: Record) -> Build:
    def build(_: Urls) -> Record:
        return {"zen": "Keep it logically awesome.", "hook_id": hook_view["id"], "hook": hook_view}

    return build
