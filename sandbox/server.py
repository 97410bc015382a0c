"""Running the app under uvicorn, in the foreground (CLI) or in a background thread (tests, demo)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path

import uvicorn

from sandbox import webhooks
from sandbox.core import Sandbox
from sandbox.http import App


def make_config(app: App, host: str, port: int) -> uvicorn.Config:
    # h11 explicitly: the dropped-connection fault relies on its request cycle owning the transport.
    return uvicorn.Config(
        app, host=host, port=port, http="h11", lifespan="on", log_level="warning", access_log=False, ws="none"
    )


def serve(
    state_dir: Path,
    seed: Path | None,
    host: str,
    port: int,
    ci_seconds: float | None,
    deploy_seconds: float | None,
    ci_start_seconds: float | None = None,
    profile: str | None = None,
    installation_token_seconds: float | None = None,
    latency: dict[str, float | None] | None = None,
    app_webhook_url: str | None = None,
) -> None:
    sandbox = Sandbox(
        state_dir,
        seed,
        ci_seconds=ci_seconds,
        deploy_seconds=deploy_seconds,
        ci_start_seconds=ci_start_seconds,
        profile=profile,
    )
    print(
        f"sandbox GitHub ({sandbox.profile.name}): http://{host}:{port}{sandbox.profile.api_prefix} "
        f"(state in {state_dir})",
        flush=True,
    )
    if installation_token_seconds is not None:
        sandbox.update_settings({"installation_token_seconds": installation_token_seconds})
    if latency:
        sandbox.update_settings(dict(latency))
    if app_webhook_url:
        # The seeded App's webhook, with the receiver's secret (never on the command line).
        webhooks.configure_hosted_apps(sandbox, app_webhook_url, os.environ.get("HOTFIX_WEBHOOK_SECRET", ""))
    uvicorn.Server(make_config(App(sandbox), host, port)).run()


class BackgroundServer:
    """uvicorn on its own event loop in a daemon thread, on a socket bound before it starts."""

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto must be IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
        self.sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(make_config(App(sandbox), host, self.port))
        self.thread = threading.Thread(target=self._run, name=f"sandbox-{self.port}", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.sock]))
        except BaseException as exc:
            self.error = exc

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        waited = 0.0
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"sandbox server failed to start: {self.error!r}")
            self.thread.join(0.01)
            waited += 0.01
            if waited > timeout:
                raise TimeoutError("sandbox server did not start")

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()
