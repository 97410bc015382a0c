"""GitHub calls run in the client's threads: a cancellation stops the await, never the library (#16),
and writes pass one process-wide gate, one at a time, spaced, in arrival order."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

import pytest

from activities.github import threads
from activities.github.threads import Abandoned, GitHubThreads, in_github_thread
from activities.github.writes import WAITING, WriteGate
from hotfix.models import CreateBranchInput
from tests.activities.helpers import REPO, client_for


async def test_cancelling_the_await_raises_nothing_inside_the_thread() -> None:
    pool = GitHubThreads(2)
    lock = threading.Lock()
    inside = threading.Event()
    seen: list[str] = []

    def library_call() -> str:
        # What logging and urllib3 do: a lock taken, work, released. An exception raised from outside
        # between acquire and release would leave the lock taken for good.
        with lock:
            inside.set()
            try:
                time.sleep(0.3)
                seen.append("finished")
            except BaseException as err:
                seen.append(f"interrupted by {type(err).__name__}")
                raise
        return "result nobody wants"

    task = asyncio.ensure_future(pool.run(library_call))
    await asyncio.to_thread(inside.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The await stopped at once; the thread still holds its lock and finishes undisturbed.
    assert lock.locked()
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.05)
    assert seen == ["finished"]
    assert lock.acquire(timeout=5), "the thread's lock leaked"
    lock.release()
    pool.shutdown()


async def test_a_cancelled_call_leaves_at_its_next_pause_or_request() -> None:
    pool = GitHubThreads(1)
    started = threading.Event()
    outcome: list[str] = []

    def waits_long() -> None:
        started.set()
        try:
            threads.pause(30)
        except Abandoned:
            outcome.append("abandoned")
            raise
        outcome.append("slept 30 s")

    task = asyncio.ensure_future(pool.run(waits_long))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The one thread is free again long before the 30 s pause would have ended.
    assert await asyncio.wait_for(pool.run(lambda: "next call"), 10) == "next call"
    assert outcome == ["abandoned"]
    pool.shutdown()


class _Holder:
    def __init__(self) -> None:
        self.github_threads = GitHubThreads(1)

    @in_github_thread
    def where(self, input: str) -> str:
        return f"{input} in {threading.current_thread().name}"


async def test_an_activity_method_keeps_its_name_and_runs_in_a_github_thread() -> None:
    holder = _Holder()
    assert _Holder.where.__name__ == "where"
    assert (await holder.where("asked")).startswith("asked in github")
    holder.github_threads.shutdown()


def test_writes_pass_one_at_a_time_in_arrival_order_and_spaced() -> None:
    gate = WriteGate(interval=0.1)
    spans: list[tuple[int, float, float]] = []

    def writer(i: int) -> None:
        with gate.turn(f"write {i}"):
            begin = time.monotonic()
            time.sleep(0.02)
            spans.append((i, begin, time.monotonic()))

    # They arrive 10 ms apart, while the first holds the gate (20 ms, then 100 ms spacing).
    workers = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for w in workers:
        w.start()
        time.sleep(0.01)
    for w in workers:
        w.join(10)
    assert [i for i, _, _ in spans] == list(range(8))
    for (_, _, end), (_, begin, _) in itertools.pairwise(spans):
        assert begin - end >= 0.1 - 0.005
    assert gate.served == 8 and gate.queued == 0


def test_a_queued_writer_says_it_waits_for_write_capacity_and_can_leave() -> None:
    gate = WriteGate(interval=0.0)
    holding = threading.Event()
    release = threading.Event()
    told: list[str] = []

    def holder() -> None:
        with gate.turn("first"):
            holding.set()
            release.wait(10)

    async def queued() -> None:
        pool = GitHubThreads(1)

        def second() -> None:
            call = threads.current()
            assert call is not None
            with gate.turn("second"):
                pass

        task = asyncio.ensure_future(pool.run(second))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if gate.queued:
                break
        await asyncio.sleep(0.5)
        told.append(str(gate.queued))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(100):
            if not gate.queued:
                break
            await asyncio.sleep(0.05)
        told.append(str(gate.queued))
        pool.shutdown()

    first = threading.Thread(target=holder)
    first.start()
    holding.wait(5)
    asyncio.run(queued())
    release.set()
    first.join(5)
    # One was queued behind the holder; cancelled, it left the queue without taking a turn.
    assert told == ["1", "0"]
    assert gate.served == 1


def test_the_wait_is_what_the_thread_reports_doing() -> None:
    gate = WriteGate(interval=0.0)
    reported: list[str] = []

    async def scenario() -> None:
        pool = GitHubThreads(2)
        inside = threading.Event()
        leave = threading.Event()

        def first() -> None:
            with gate.turn("create branch a"):
                inside.set()
                leave.wait(10)

        def second() -> None:
            with gate.turn("create branch b"):
                pass

        one = asyncio.ensure_future(pool.run(first))
        await asyncio.to_thread(inside.wait, 5)
        seen: dict[str, Any] = {}
        original = threads.doing

        def spy(what: str) -> None:
            seen.setdefault("doing", what)
            original(what)

        threads.doing = spy
        try:
            two = asyncio.ensure_future(pool.run(second))
            await asyncio.sleep(0.6)
        finally:
            threads.doing = original
        reported.append(str(seen.get("doing")))
        leave.set()
        await asyncio.gather(one, two)
        pool.shutdown()

    asyncio.run(scenario())
    assert reported == [f"{WAITING}: create branch b, 1 ahead"]


async def test_the_sandbox_sees_one_write_at_a_time_a_set_interval_apart(sandbox: Any) -> None:
    """GitHub's advice measured where GitHub would see it: the sandbox's request log."""
    interval = 0.15
    client = client_for(sandbox)
    client.writes = WriteGate(interval)
    from activities.registry import github_activities

    create = next(fn for fn in github_activities(client) if fn.__name__ == "create_branch")
    base = sandbox.github().get_repo(REPO).get_branch("main").commit.sha
    sandbox.clear_requests()
    from tests.activities.helpers import environment

    async def one(i: int) -> Any:
        return await environment(activity_type="create_branch").run(
            create, CreateBranchInput(repository=REPO, branch=f"gate/{i}", sha=base)
        )

    results = await asyncio.gather(*(one(i) for i in range(4)))
    assert all(r.created for r in results)
    writes = sorted(
        (r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")), key=lambda r: r["timestamp"]
    )
    assert len(writes) == 4
    for earlier, later in itertools.pairwise(writes):
        # The next write reached GitHub only after the last one was answered, and a spacing later.
        assert later["timestamp"] - earlier["answered"] >= interval - 0.02
    client.close()


async def test_an_activity_queued_for_a_write_heartbeats_that_it_waits_for_write_capacity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `temporal workflow describe` (pending activities) and the UI show while a write queues."""
    import dataclasses
    from datetime import timedelta

    from tests.activities.helpers import environment

    monkeypatch.setattr(threads, "BEAT_EVERY", 0.05)
    gate = WriteGate(interval=0.0)
    holder = _Holder()
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.turn("someone else's write"):
            inside.set()
            leave.wait(10)

    class Writer:
        github_threads = GitHubThreads(1)

        @in_github_thread
        def write(self, input: str) -> str:
            with gate.turn(input):
                return "written"

    env = environment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(seconds=20))
    beats: list[str] = []
    env.on_heartbeat = lambda *details: beats.append(str(details[0]))
    first = asyncio.ensure_future(holder.github_threads.run(hold))
    await asyncio.to_thread(inside.wait, 5)
    writing = asyncio.ensure_future(env.run(Writer().write, "create branch hotfix/x"))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if any(WAITING in b for b in beats):
            break
    leave.set()
    assert await writing == "written"
    await first
    assert f"{WAITING}: create branch hotfix/x, 1 ahead" in beats
    Writer.github_threads.shutdown()
    holder.github_threads.shutdown()


def test_each_github_thread_has_its_own_requester_so_requests_never_cross(sandbox: Any) -> None:
    """PyGithub keeps a request's verb, URL and body on its one shared connection object between
    sending and reading; two threads on one Requester crossed requests in a 1,000-hotfix burst."""
    client = client_for(sandbox)
    mine = client.requester
    assert client.requester is mine
    others: list[Any] = []
    other = threading.Thread(target=lambda: others.append(client.requester))
    other.start()
    other.join(5)
    assert others and others[0] is not mine

    crossed: list[str] = []

    def ask(branch: str) -> None:
        for _ in range(40):
            _, data = client.requester.requestJsonAndCheck("GET", f"/repos/{REPO}/branches/{branch}")
            if data["name"] != branch:
                crossed.append(f"asked {branch}, got {data['name']}")

    askers = [threading.Thread(target=ask, args=(b,)) for b in ("main", "develop") * 4]
    for t in askers:
        t.start()
    for t in askers:
        t.join(60)
    assert crossed == []
    client.close()
