"""The Temporal server killed and restarted mid-hotfix loses nothing (#9 item 4).

A dev server of this test's own, with its database file, is killed with SIGKILL and started again
while a hotfix waits at PR approval, and again while its deploy run waits for approval. The worker
(worker.py, a process of its own) and the test's client reconnect by themselves; the hotfix
finishes with exactly one of each side effect, and the worker reports the outage in lines, not
tracebacks.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from hotfix import search_attributes
from hotfix.models import ChangesReadySignal, HotfixStatus, Step
from local.humans import DEV, Humans
from tests.cli.support import free_port
from tests.conftest import venv_binary
from tests.integration.conftest import DISPATCH, REPO, ROOT, start, writes
from tests.integration.test_hotfix_dev_server import spawn_worker
from workflows.hotfix import HotfixWorkflow

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Server:
    """`temporal server start-dev` on a fixed port and database file, killed and restarted at will."""

    def __init__(self, db: Path, log: Path) -> None:
        self.db, self.log, self.port = db, log, free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        attributes = [f"--search-attribute={key.name}=Keyword" for key in search_attributes.ALL]
        command = [venv_binary("temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
        command += ["--port", str(self.port), "--db-filename", str(self.db), "--log-level", "error"]
        command += ["--http-port", str(free_port()), "--metrics-port", str(free_port()), *attributes]
        self.proc = subprocess.Popen(command, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


@contextmanager
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path / "temporal.db", tmp_path / "server.log")
    s.start()
    try:
        yield s
    finally:
        s.stop()


async def connect(address: str, within: float = 30) -> Client:
    deadline = time.monotonic() + within
    while True:
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def until(handle: WorkflowHandle, ready: Callable[[HotfixStatus], bool], what: str) -> HotfixStatus:
    """Query until `ready`; an RPC error (the server is restarting) is a moment to wait, not a failure."""
    deadline = time.monotonic() + 90
    status: HotfixStatus | None = None
    while time.monotonic() < deadline:
        try:
            status = await handle.query(HotfixWorkflow.status, rpc_timeout=timedelta(seconds=5))
        except RPCError:
            status = None
        if status is not None and ready(status):
            return status
        await asyncio.sleep(0.2)
    raise AssertionError(f"never {what}: last status {status}")


class Follower:
    """`starter.py watch --json`, as a person leaves it running in a terminal: its lines are read as
    they come, so the test can wait until it is following before the first restart (a `watch` still
    connecting when the server goes down exits at once, as it should for a wrong address)."""

    def __init__(self, workflow_id: str, env: dict[str, str]) -> None:
        command = [sys.executable, "starter.py", "watch", workflow_id, "--json", "--interval", "0.3"]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.lines: list[str] = []
        self.following = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.decode())
            self.following.set()

    async def started(self, within: float = 60) -> None:
        if not await asyncio.to_thread(self.following.wait, within):
            self.proc.kill()
            _, _, err = await self.finish()  # the reader thread keeps stdout; stderr says why
            raise AssertionError(f"watch printed nothing within {within:.0f} s: {err}")

    async def finish(self, within: float = 60) -> tuple[int, list[str], str]:
        assert self.proc.stderr is not None
        err = await asyncio.to_thread(self.proc.stderr.read)
        code = await asyncio.to_thread(self.proc.wait, within)
        await asyncio.to_thread(self._reader.join, within)
        return code, self.lines, err.decode()


async def restart(s: Server) -> None:
    s.kill()
    await asyncio.sleep(1.0)  # down for a moment: the worker's polls fail meanwhile
    s.start()


async def test_a_server_killed_twice_mid_hotfix_loses_nothing(
    sandbox: Any, task_queue: str, unique: str, tmp_path: Path
) -> None:
    with server(tmp_path) as s:
        client = await connect(s.address)
        env = {
            **os.environ,
            "HOTFIX_TEMPORAL_ADDRESS": s.address,
            "HOTFIX_TASK_QUEUE": task_queue,
            "HOTFIX_GITHUB_URL": sandbox.api_url,
            "HOTFIX_GITHUB_TOKEN": "sandbox-bot-token",
            "HOTFIX_LOG_FORMAT": "console",
        }
        log = tmp_path / "worker.log"
        worker = spawn_worker(env, log)
        try:
            humans = Humans(sandbox.api_url, REPO)
            handle = await start(client, task_queue, unique)
            status = await until(handle, lambda s: s.step == Step.CHANGES, "at changes")
            # Someone follows it with `watch` the whole time, through both restarts.
            watching = Follower(handle.id, env)
            await watching.started()
            await asyncio.to_thread(humans.push_change, status.work_branch)
            await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by=DEV[0]))
            status = await until(handle, lambda s: s.step == Step.APPROVAL and bool(s.pull_request), "PR")
            assert status.pull_request is not None
            outage_starts = log.stat().st_size
            await restart(s)
            # The reviewer approves while Temporal is coming back.
            await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
            status = await until(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and bool(s.run_id), "run")
            assert status.run_id is not None
            await restart(s)
            await asyncio.to_thread(humans.approve_deployment, status.run_id)
            status = await until(handle, lambda s: s.back_merge_pull_request is not None, "back-merge")
            assert status.back_merge_pull_request is not None
            await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
            final = await until(handle, lambda s: s.step == Step.DONE, "done")
            assert worker.poll() is None, "the worker died with the server"
            code, out, err = await watching.finish()
            assert code == 0, err
            said = err.splitlines()
            # At most a line when Temporal stops answering and one when it is back, per outage (the
            # client's own retries often ride out a short one unnoticed), never a traceback.
            assert "Traceback" not in err and len(said) <= 4, said
            assert json.loads(out[-1])["step"] == "done"
        finally:
            worker.terminate()
            worker.wait(timeout=40)
    repo = sandbox.github().get_repo(REPO)
    pulls = list(repo.get_pulls(state="all"))
    assert len(pulls) == 2 and sorted(p.merged_by.login for p in pulls) == sorted(["hotfix-bot", DEV[0]])
    assert len(list(repo.get_workflow("deploy.yml").get_runs(branch=final.prod_branch))) == 1
    assert len([r for r in writes(sandbox, "POST", DISPATCH) if r["status"] in (200, 204)]) == 1
    during = log.read_bytes()[outage_starts:].decode(errors="replace")
    assert "Traceback" not in during, during[-3000:]
