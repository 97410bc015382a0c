"""In-process sandbox for tests and the demo: a server thread with its own event loop and a handle."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import github
import httpx

from sandbox.core import Sandbox
from sandbox.seed import BOT_TOKEN
from sandbox.server import BackgroundServer

# A check of one answer: (method, path below the API's root, status, parsed body) -> the problems found.
Validate = Callable[[str, str, int, Any], list[str]]


class ResponseChecker:
    """Checks every answer the sandbox gives, in a thread of its own, off the request path.

    The server only queues the raw bytes it sent; this thread parses and validates them, so a
    test's requests are not slowed by the validation, only the process's spare CPU is used.
    """

    def __init__(self, validate: Validate) -> None:
        self._validate = validate
        self._queue: queue.Queue[tuple[str, str, int, bytes] | None] = queue.Queue()
        self.problems: list[str] = []
        self.checked = 0
        self._seen: dict[int, list[str]] = {}
        self._thread = threading.Thread(target=self._run, name="sandbox-contract", daemon=True)
        self._thread.start()

    def observe(self, method: str, path: str, status: int, raw: bytes) -> None:
        self._queue.put((method, path, status, raw))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                method, path, status, raw = item
                # Polls see the same answer again and again: check each distinct answer once.
                key = hash((method, path, status, raw))
                found = self._seen.get(key)
                if found is None:
                    found = self._validate(method, path, status, json.loads(raw) if raw else None)
                    if len(self._seen) < 10_000:
                        self._seen[key] = found
                self.problems.extend(found)
                self.checked += 1
            except Exception as exc:  # a broken check must show, not hang the drain
                self.problems.append(f"contract check crashed on {item!r:.200}: {exc!r}")
            finally:
                self._queue.task_done()

    def drain(self) -> list[str]:
        """Wait until every answer so far is checked; the problems found."""
        self._queue.join()
        return list(self.problems)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(5)


class SandboxHandle:
    def __init__(self, server: BackgroundServer, checker: ResponseChecker | None = None) -> None:
        self._server = server
        self._checker = checker
        host = server.host if ":" not in server.host else f"[{server.host}]"
        self.url = f"http://{host}:{server.port}"
        self._http = httpx.Client(base_url=self.url, timeout=30)

    @property
    def api_url(self) -> str:
        """Where the API lives: the host's root (github.com), or /api/v3 (GHES); follows the profile."""
        return f"{self.url}{self._server.sandbox.profile.api_prefix}"

    @property
    def profile(self) -> str:
        return self._server.sandbox.profile.name

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
        applied: bool = False,
        count: int = 1,
    ) -> None:
        """path is a Python regular expression matched (fullmatch) against the path below /api/v3.

        The request is read whole first, so a delayed one is applied exactly as sent even when the
        client gave up meanwhile. `applied=True` handles the request and then fails (`drop`, or
        answers `status`): GitHub did the write, the answer was lost.
        """
        spec = {
            "method": method,
            "path": path,
            "status": status,
            "body": body,
            "headers": headers or {},
            "delay": delay,
            "drop": drop,
            "applied": applied,
            "count": count,
        }
        self._http.post("/_sandbox/faults", json=spec).raise_for_status()

    def clear_faults(self) -> None:
        self._http.delete("/_sandbox/faults").raise_for_status()

    def set_settings(self, **kw: Any) -> None:
        self._http.post("/_sandbox/settings", json=kw).raise_for_status()

    def contract_violations(self) -> list[str]:
        """Problems the `validate` given to running_sandbox found in the answers so far (waits for it)."""
        return [] if self._checker is None else self._checker.drain()

    @property
    def contract_checked(self) -> int:
        return 0 if self._checker is None else self._checker.checked

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A call to the test-only controls under /_sandbox/ (README: Test-only controls)."""
        response = self._http.request(method, f"/_sandbox/{path.lstrip('/')}", json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def configure_repo(self, full_name: str, **settings: Any) -> Any:
        """Change a running repository's rules, with the seed's keys (README: Test-only controls).

        `sb.configure_repo("acme/gaia-gateway", protection=[...], rulesets=[...], ci={...},
        collaborators={...}, teams={...}, actions_permissions={...}, environments=[...])`
        """
        return self.control("POST", f"repos/{full_name}", settings)

    def close(self) -> None:
        self._http.close()


@contextmanager
def running_sandbox(
    state_dir: Path,
    seed: Path | dict[str, Any] | None = None,
    *,
    ci_seconds: float | None = None,
    deploy_seconds: float | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    record_bodies: bool = False,
    validate: Validate | None = None,
    ci_start_seconds: float | None = None,
    profile: str | None = None,
) -> Iterator[SandboxHandle]:
    """A sandbox in a thread. `seed` is a seed file or a seed mapping (sandbox.seed.default_seed()).

    With `validate`, every answer the sandbox gives is checked by it in a background thread;
    `handle.contract_violations()` waits for the checks and returns the problems found.
    """
    sandbox = Sandbox(
        Path(state_dir),
        seed,
        ci_seconds=ci_seconds,
        deploy_seconds=deploy_seconds,
        record_bodies=record_bodies,
        ci_start_seconds=ci_start_seconds,
        profile=profile,
    )
    checker = ResponseChecker(validate) if validate is not None else None
    if checker is not None:
        sandbox.observer = checker.observe
    server = BackgroundServer(sandbox, host, port)
    server.start()
    handle = SandboxHandle(server, checker)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()
        if checker is not None:
            checker.stop()
