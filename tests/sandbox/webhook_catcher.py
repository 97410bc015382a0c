"""A webhook receiver for the sandbox's tests: records every delivery (headers and raw body), and can
be held (answer nothing until released) or made to fail, as a slow or broken receiver would."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema

SCHEMAS = Path(__file__).resolve().parent.parent / "webhook-schemas" / "schema.json"
_definitions: dict[str, Any] | None = None


def schema_for(event: str, action: str | None) -> dict[str, Any]:
    """GitHub's published schema of one event and action (`@octokit/webhooks-schemas`, a subset)."""
    global _definitions
    if _definitions is None:
        _definitions = json.loads(SCHEMAS.read_text())["definitions"]
    return {"$ref": f"#/definitions/{event}${action or 'event'}", "definitions": _definitions}


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    """An absolute URI (jsonschema checks `uri` only with an extra package; '' is none)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def schema_errors(event: str, payload: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema_for(event, payload.get("action")), format_checker=FORMATS)
    return [
        f"{event}.{payload.get('action')}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator.iter_errors(payload)
    ]


class Delivery:
    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body

    @property
    def event(self) -> str:
        return self.headers["x-github-event"]

    @property
    def payload(self) -> Any:
        if self.headers.get("content-type") == "application/x-www-form-urlencoded":
            return json.loads(parse_qs(self.body.decode())["payload"][0])
        return json.loads(self.body)


class Catcher:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.status = 200
        self.released = threading.Event()
        self.released.set()
        self.waiting = threading.Event()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                catcher.waiting.set()
                catcher.released.wait(30)
                catcher.deliveries.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(catcher.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/github/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Catcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def of(self, event: str, action: str | None = None, hook: str | None = None) -> list[Delivery]:
        return [
            d
            for d in list(self.deliveries)
            if d.event == event
            and (action is None or d.payload.get("action") == action)
            and (hook is None or d.headers["x-github-hook-id"] == hook)
        ]
