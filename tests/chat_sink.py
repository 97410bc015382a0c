"""A local chat for the notification tests: an HTTP server that takes Apprise's `json://` posts.

`ChatSink().url` is the HOTFIX_NOTIFY_URLS entry; `messages` are the posts it took, in order.
`status` is what it answers (500: a chat that refuses), `delay` how long it thinks first.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ChatSink:
    def __init__(self, *, status: int = 200, delay: float = 0.0) -> None:
        self.messages: list[dict[str, Any]] = []
        self.status = status
        self.delay = delay
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(sink.delay)
                if sink.status == 200:
                    sink.messages.append(json.loads(body))
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        # Apprise's plain JSON webhook; short timeouts so a slow sink is a quick failure.
        return f"json://127.0.0.1:{self._server.server_address[1]}/hook?cto=1&rto=1"

    def __enter__(self) -> ChatSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def refused_url(path: str = "hook") -> str:
    """A json:// target nobody listens on: connection refused (`path`: e.g. a token to look for)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"json://127.0.0.1:{port}/{path}?cto=1&rto=1"
