"""The watchdog: the health check fails while the event loop is blocked or every GitHub thread hangs,
recovers when the worker turns again, and SIGTERM ends even a frozen process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.health import EXIT_FORCED, Watchdog

ROOT = Path(__file__).resolve().parents[2]


def health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_health_fails_while_the_event_loop_is_blocked_and_recovers_when_it_turns() -> None:
    watchdog = Watchdog(asyncio.get_running_loop(), stuck_after=0.3, tick=0.05)
    watchdog.start(port=0, host="127.0.0.1")
    port = watchdog.port
    assert port is not None
    try:
        await asyncio.sleep(0.3)
        assert (await asyncio.to_thread(health, port))[0] == 200
        seen: list[tuple[int, dict[str, object]]] = []
        done = threading.Event()

        def probe() -> None:  # a liveness probe from outside, while the loop cannot answer anything
            while not done.is_set():
                seen.append(health(port))
                time.sleep(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        time.sleep(1.0)  # noqa: ASYNC251 - blocks the event loop, as a thread stuck on a lock would
        for _ in range(50):
            await asyncio.sleep(0.1)
            if seen and seen[-1][0] == 200:
                break
        done.set()
        await asyncio.to_thread(prober.join, 5)
        failing = [body for status, body in seen if status == 503]
        assert failing, "the health check never failed while the loop was blocked"
        assert "event loop has not turned" in str(failing[0]["stuck"])
        assert seen[-1][0] == 200, "the health check did not recover once the loop turned"
    finally:
        watchdog.stop()


@dataclass
class HungThreads:
    size: int = 2
    busy: int = 2
    last_finished: float = 0.0


async def test_health_fails_when_every_github_thread_hangs() -> None:
    threads = HungThreads(last_finished=time.monotonic())
    watchdog = Watchdog(asyncio.get_running_loop(), stuck_after=0.2, threads=threads, tick=0.05)
    watchdog.start(port=0, host="127.0.0.1")
    assert watchdog.port is not None
    try:
        await asyncio.sleep(0.5)
        status, body = await asyncio.to_thread(health, watchdog.port)
        assert status == 503
        assert "all 2 GitHub threads busy" in str(body["stuck"])
        threads.busy, threads.last_finished = 1, time.monotonic()
        await asyncio.sleep(0.2)
        assert (await asyncio.to_thread(health, watchdog.port))[0] == 200
    finally:
        watchdog.stop()


FROZEN = """
import asyncio, logging, sys, threading, time
sys.path.insert(0, sys.argv[1])
from service.health import Watchdog

async def main():
    loop = asyncio.get_running_loop()
    when_stuck = float(sys.argv[2]) if sys.argv[2] != "-" else None
    watchdog = Watchdog(loop, stuck_after=0.5, on_stop=lambda: None, exit_after=1.0,
                        exit_when_stuck=when_stuck, tick=0.1)
    watchdog.start(signals=True)
    logging.basicConfig(stream=sys.stderr)
    handler = logging.getLogger().handlers[0]
    holder = threading.Thread(target=handler.acquire)  # takes the lock and never gives it back
    holder.start()
    holder.join()
    print("frozen", flush=True)
    logging.getLogger().warning("never written")  # the event loop waits here for good
    print("not frozen", flush=True)

asyncio.run(main())
"""


def frozen(exit_when_stuck: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", FROZEN, str(ROOT), exit_when_stuck],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "frozen"
    return proc


@pytest.mark.slow
def test_sigterm_ends_a_worker_whose_event_loop_is_frozen() -> None:
    proc = frozen("-")
    try:
        time.sleep(0.3)
        proc.terminate()
        code = proc.wait(timeout=15)
    finally:
        proc.kill()
    assert code == EXIT_FORCED
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert '"event": "worker stuck"' in err and "event loop has not turned" in err
    assert "did not stop within its grace period" in err


@pytest.mark.slow
def test_a_worker_stuck_for_too_long_ends_itself_when_told_to() -> None:
    proc = frozen("1.0")
    try:
        code = proc.wait(timeout=15)
    finally:
        proc.kill()
    assert code == EXIT_FORCED
    assert proc.stderr is not None
    assert "stuck for too long" in proc.stderr.read()
