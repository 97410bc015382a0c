"""In-process sandbox for tests and the demo: a server thread with its own event loop and a handle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import github
import httpx

from sandbox.core import Sandbox
from sandbox.seed import BOT_TOKEN
from sandbox.server import BackgroundServer


class SandboxHandle:
    def __init__(self, server: BackgroundServer) -> None:
        self._server = server
        host = server.host if ":" not in server.host else f"[{server.host}]"
        self.url = f"http://{host}:{server.port}"
        self.api_url = f"{self.url}/api/v3"
        self._http = httpx.Client(base_url=self.url, timeout=30)

    @property
    def sandbox(self) -> Sandbox:
        """The live state, for assertions that the API cannot express. Read it, do not change it."""
        return self._server.sandbox

    def github(self, token: str = BOT_TOKEN, **kwargs: Any) -> github.Github:
        kwargs.setdefault("retry", None)
        # PyGithub throttles itself (0.25 s between requests, 1 s between writes) for github.com;
        # against a local sandbox that only slows tests down.
        kwargs.setdefault("seconds_between_requests", None)
        kwargs.setdefault("seconds_between_writes", None)
        kwargs.setdefault("timeout", 30)
        return github.Github(auth=github.Auth.Token(token), base_url=self.api_url, **kwargs)

    def requests(self) -> list[dict[str, Any]]:
        response = self._http.get("/_sandbox/requests")
        response.raise_for_status()
        return response.json()

    def clear_requests(self) -> None:
        self._http.delete("/_sandbox/requests").raise_for_status()

    def add_fault(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        delay: float | None = None,
        drop: bool = False,
        count: int = 1,
    ) -> None:
        """path is a Python regular expression matched (fullmatch) against the path below /api/v3."""
        spec = {
            "method": method,
            "path": path,
            "status": status,
            "body": body,
            "headers": headers or {},
            "delay": delay,
            "drop": drop,
            "count": count,
        }
        self._http.post("/_sandbox/faults", json=spec).raise_for_status()

    def clear_faults(self) -> None:
        self._http.delete("/_sandbox/faults").raise_for_status()

    def set_settings(self, **kw: Any) -> None:
        self._http.post("/_sandbox/settings", json=kw).raise_for_status()

    def close(self) -> None:
        self._http.close()


@contextmanager
def running_sandbox(
    state_dir: Path,
    seed: Path | None = None,
    *,
    ci_seconds: float | None = None,
    deploy_seconds: float | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    record_bodies: bool = False,
) -> Iterator[SandboxHandle]:
    sandbox = Sandbox(
        Path(state_dir),
        seed,
        ci_seconds=ci_seconds,
        deploy_seconds=deploy_seconds,
        record_bodies=record_bodies,
    )
    server = BackgroundServer(sandbox, host, port)
    server.start()
    handle = SandboxHandle(server)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()
