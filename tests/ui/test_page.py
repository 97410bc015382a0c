"""The hotfix's page as an operator first meets it: the link `start` prints, User Metadata, the
workflow list filtered by the hotfix's search attributes, and the Queries tab."""

from __future__ import annotations

import pytest

from hotfix.models import HotfixStatus, Step
from local.humans import wait_for
from tests.ui.temporal_ui import TemporalUI

pytestmark = pytest.mark.ui

# Emoji and symbol blocks need fonts a server or a minimal desktop may lack (they draw as boxes).
NEEDS_A_SYMBOL_FONT = 0x2190


async def test_the_link_start_prints_opens_the_page_and_user_metadata_shows_summary_details_and_step(
    ui: TemporalUI, unique: str
) -> None:
    started, handle = await ui.start(f"Fix login redirect {unique}", via_cli=True)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "step changes")
    await ui.open(started["ui_url"])
    assert ui.page.url.startswith(f"{started['ui_url']}/{started['run_id']}/")

    shown = await ui.user_metadata()

    description = await handle.describe()
    assert shown["summary"] == await description.static_summary()
    assert shown["summary"] == f"Hotfix acme/gaia-gateway: Fix login redirect {unique}"
    assert "Requested by: dev-1" in shown["details"]
    assert f"Working branch: {status.work_branch}" in shown["details"]
    assert f"Prod branch: {status.prod_branch}" in shown["details"]
    current = shown["current-details"]
    assert "Step: changes" in current
    assert f"Waiting for: commits on {status.work_branch}, then the changes_ready signal (dev-1)" in current
    assert "[done] 1-2. Cut working and prod branches from what is deployed" in current
    assert "[now] 3. Changes on the working branch" in current
    assert "[to do] 4. Checks green" in current
    assert [c for c in current if ord(c) >= NEEDS_A_SYMBOL_FONT] == []
    # What the page drew is what the workflow says.
    assert (await handle.query("status", result_type=HotfixStatus)).step == Step.CHANGES


async def test_the_workflow_list_filtered_by_repository_and_by_step_finds_the_hotfix(
    ui: TemporalUI, unique: str
) -> None:
    _, handle = await ui.started_at(f"Fix list {unique}", lambda s: s.step == Step.CHANGES, "changes")
    for query in ('HotfixRepository = "acme/gaia-gateway"', 'HotfixStep = "changes"'):
        assert any(handle.id in row for row in await ui.list_workflows(query, expect=handle.id)), query
        assert handle.id in [w.id async for w in ui.client.list_workflows(query)]
    # A filter that should not match does not: the list really filters.
    assert not any(handle.id in row for row in await ui.list_workflows('HotfixStep = "approval"'))


async def test_the_queries_tab_status_returns_the_json_the_cli_prints(ui: TemporalUI, unique: str) -> None:
    status, handle = await ui.started_at(f"Fix query {unique}", lambda s: s.step == Step.CHANGES, "changes")

    shown = await ui.query()

    printed = await ui.cli("status", handle.id)
    # The CLI adds what only it knows (Temporal's view of the run, the page's address); the rest is
    # the query's answer, field for field.
    assert printed.pop("execution_status") == "RUNNING"
    assert printed.pop("ui_url").startswith(ui.url)
    assert printed.pop("retrying") is None and printed.pop("worker") == []
    assert shown == printed
    assert shown["step"] == "changes" and shown["work_branch"] == status.work_branch
