"""The signals (cli/signals.py): `abort` needs a reason; the signals reach a running hotfix (also by its
ID without the `hotfix/` prefix) and are refused, in one line, once it has ended, whose final status
still reads and whose watch ends at once with 1.
"""

from __future__ import annotations

import asyncio
import json

from hotfix.models import Step
from tests.cli.support import Server, invoke, one_error_line, start


def test_abort_needs_a_reason() -> None:
    missing = invoke(["abort", "hotfix/acme/x/2025-01-01_a"])
    assert missing.exit_code == 2  # click's own usage error
    blank = invoke(["abort", "hotfix/acme/x/2025-01-01_a", "--reason", "  "])
    assert blank.exit_code == 2
    assert "--reason" in one_error_line(blank)


async def test_a_signal_to_a_finished_hotfix_is_refused(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    await server.until_step(wid, Step.CHANGES)
    aborted = await server.cli("abort", wid, "--reason", "wrong base", "--json")
    assert aborted.exit_code == 0, aborted.output
    await server.until_closed(wid)

    for command in ("changes-ready", "recheck", "retry-deploy"):
        result = await server.cli(command, wid)
        assert result.exit_code == 1
        line = one_error_line(result)
        assert wid in line and "already ended" in line

    # The final status still reads (from the result, without a query) ...
    status = await server.cli("status", wid, "--json")
    assert json.loads(status.stdout)["step"] == "aborted"
    assert json.loads(status.stdout)["reason"] == "wrong base"
    # ... watching it ends at once, with 1: it did not end done.
    watched = await server.cli("watch", wid, "--json")
    assert watched.exit_code == 1
    assert json.loads(watched.stdout.splitlines()[-1])["step"] == "aborted"
    # ... its change record is the final one, read from the failure's details without a worker ...
    recorded = await server.cli("record", wid, "--json")
    assert recorded.exit_code == 0, recorded.output
    assert json.loads(recorded.stdout)["final"] is True
    # ... and the same hotfix cannot be started again under its name.
    again = await server.cli("start", repo, f"Fix login {unique}")
    assert again.exit_code == 1 and "already ran today and ended aborted" in one_error_line(again)


async def test_signals_reach_the_workflow(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    current = await server.until_step(wid, Step.CHANGES)
    # Nothing pushed yet: the workflow says so and keeps waiting.
    result = await server.cli("changes-ready", wid)
    assert result.exit_code == 0 and "sent changes_ready" in result.stdout
    for _ in range(200):
        current = await server.status(wid)
        if current.message and "no changes yet" in current.message:
            break
        await asyncio.sleep(0.05)
    assert current.message and "no changes yet" in current.message
    server.github.commit(current.work_branch)
    # The ID works without its `hotfix/` prefix too.
    result = await server.cli("changes-ready", wid.removeprefix("hotfix/"))
    assert result.exit_code == 0
    await server.until_step(wid, Step.APPROVAL)
    listed = await server.cli("list", "--repository", repo, "--step", "approval", "--json")
    for _ in range(100):  # visibility is updated just after the step changes
        if json.loads(listed.stdout):
            break
        await asyncio.sleep(0.05)
        listed = await server.cli("list", "--repository", repo, "--step", "approval", "--json")
    assert [row["workflow_id"] for row in json.loads(listed.stdout)] == [wid]


async def test_a_decision_that_means_nothing_now_is_refused_with_why(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    await server.until_step(wid, Step.CHANGES)
    # No deploy run failed: the person learns it now, not by a hotfix that silently ignores them.
    refused = await server.cli("retry-deploy", wid)
    assert refused.exit_code == 1
    assert one_error_line(refused).endswith(
        "refused: retry_deploy: the hotfix is at changes; no deploy run failed"
    )
    taken = await server.cli("changes-ready", wid, "--json")
    assert taken.exit_code == 0, taken.output
    sent = json.loads(taken.stdout)
    assert (sent["sent_as"], sent["result"]["step"]) == ("update", "changes")
    status = await server.status(wid)
    assert [line.split(" ", 1)[1] for line in status.signals][-1].startswith("changes_ready, by ")


async def test_without_a_worker_a_decision_goes_as_a_signal(server: Server, unique: str) -> None:
    # An update needs a worker to validate it; a signal waits in the history for one.
    wid = f"hotfix/acme-{unique}/gaia-gateway/2026-11-23_nobody-polls"
    await server.env.client.start_workflow(
        "HotfixWorkflow",
        {
            "repository": f"acme-{unique}/gaia-gateway",
            "description": "x",
            "requested_by": "dev-1",
            "day": "2026-11-23",
        },
        id=wid,
        task_queue=f"nobody-polls-{unique}",
    )
    sent = await server.cli("recheck", wid, "--json")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent_as"] == "signal"
    await server.env.client.get_workflow_handle(wid).terminate("test over")
