"""Chat notifications on the real worker: a whole hotfix against the sandbox GitHub tells a local chat
(Apprise's json:// to tests/chat_sink.py) of each wait once, with who, the links and the deadline; a
chat that refuses costs the hotfix nothing but a log line and a metric."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from hotfix.models import Step
from hotfix.outcome import final_result
from local.humans import Humans, play_happy_path
from service.metrics import NOTIFICATIONS
from tests.chat_sink import ChatSink, refused_url
from tests.integration.conftest import REPO, hotfix_worker, start

pytestmark = pytest.mark.integration

UI = "http://localhost:8233"
TOKEN = "T0KEN-in-the-url"
WAITS = ["changes", "approval", "deploy_approval", "back_merge", "done"]


def events(chat: ChatSink) -> list[str]:
    """Each message's event, from the key it ends with (`_ref <workflow id>#<n>:<event>_`)."""
    found = []
    for post in chat.messages:
        match = re.search(r"_ref (\S+)#(\d+):(\w+)_$", post["message"])
        assert match, post
        found.append(match.group(3))
    return found


def given_up_so_far() -> float:
    return sum(NOTIFICATIONS.labels(event, "given_up")._value.get() for event in WAITS)


async def test_a_whole_hotfix_tells_each_wait_once(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str
) -> None:
    with ChatSink() as chat:
        async with hotfix_worker(local_env, sandbox, task_queue, notify_urls=SecretStr(chat.url)):
            handle = await start(local_env.client, task_queue, unique, ui_base_url=UI)
            final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
            assert final.step == Step.DONE
            result = await final_result(handle)
    assert events(chat) == WAITS  # one message per wait, none twice
    by_event = dict(zip(WAITS, chat.messages, strict=True))
    changes, approval, deploy = by_event["changes"], by_event["approval"], by_event["deploy_approval"]
    assert "**Who:** @dev-1" in changes["message"] and "changes_ready" in changes["title"]
    assert "**Deadline:** " in changes["message"] and "**Deadline:** " in approval["message"]
    pr = result.status.pull_request
    assert pr is not None and f"**Pull request:** {pr.url}" in approval["message"]
    assert f"**Deploy run:** {result.status.run_url}" in deploy["message"]
    assert "**Who:** @prod-reviewer-1" in deploy["message"]  # the environment's reviewers
    back = result.status.back_merge_pull_request
    assert back is not None and f"**Back-merge:** {back.url}" in by_event["back_merge"]["message"]
    assert all(f"**Temporal:** {UI}/namespaces/default/workflows/" in m["message"] for m in chat.messages)


@pytest.mark.slow  # 13 s of retries waited out; make test keeps the whole hotfix told at each wait
async def test_a_chat_that_is_down_never_holds_the_hotfix(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    given_up = given_up_so_far()
    # Two targets: a working chat and one that refuses every connection. Each message is retried for
    # the refusing one; the working one still gets it once (a retry sends only where it has not).
    with ChatSink() as chat:
        urls = f"{chat.url},{refused_url(path=TOKEN)}"
        async with hotfix_worker(local_env, sandbox, task_queue, notify_urls=SecretStr(urls)):
            handle = await start(local_env.client, task_queue, unique)
            final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
            assert final.step == Step.DONE
            assert (await final_result(handle)).status.step == Step.DONE
    assert events(chat) == WAITS
    assert sum(NOTIFICATIONS.labels(event, "given_up")._value.get() for event in WAITS) == given_up + len(
        WAITS
    )
    out = capfd.readouterr()
    assert "notification given up" in out.out + out.err and "notification not delivered" in out.out + out.err
    assert TOKEN not in out.out + out.err  # the URLs are the worker's secret: never in a log line
    history = await handle.fetch_history()
    assert TOKEN not in history.to_json()  # nor in the history: the workflow only says "notify: <event>"
