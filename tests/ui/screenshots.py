"""`make screenshots`: the README's pictures of the Temporal UI, taken from the same fixtures as the
browser suite (dev server with UI, sandbox GitHub, worker, headless Chromium).

Run by path (`pytest tests/ui/screenshots.py`); the name keeps it out of `make test-ui`. SHOTS names
every file; tests/ui/test_readme_screenshots.py checks the README shows exactly these.
"""

from __future__ import annotations

import asyncio

import pytest

from hotfix.models import Step
from local.humans import Humans, wait_for
from tests.integration.conftest import REPO
from tests.ui.temporal_ui import ROOT, TemporalUI

pytestmark = pytest.mark.ui

SHOTS = {
    "docs/ui-workflow.png": "a hotfix waiting for its PR review: User Metadata",
    "docs/ui-list.png": "the workflow list filtered by repository, HotfixStep and HotfixRepository columns",
    "docs/ui-done.png": "the same hotfix once done: every runbook step checked",
}


async def show_metadata(ui: TemporalUI, path: str) -> None:
    # Tall enough for the whole checklist: the page scrolls inside, so full_page would not help.
    await ui.page.set_viewport_size({"width": 1400, "height": 1900})
    await ui.user_metadata()  # reloads, opens the tab and waits for the three frames
    await ui.page.mouse.move(0, 0)
    await ui.page.screenshot(path=str(ROOT / path))
    await ui.page.set_viewport_size({"width": 1400, "height": 1000})


async def test_take_the_readme_screenshots(ui: TemporalUI) -> None:
    humans = Humans(ui.sandbox.api_url, REPO)
    first, handle = await ui.start("Fix login redirect loop")
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    await asyncio.to_thread(humans.push_change, status.work_branch)
    await ui.open(first["ui_url"])
    await ui.send_signal("changes_ready", '{"by": "dev-1"}')
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")
    await show_metadata(ui, "docs/ui-workflow.png")

    _, second = await ui.start("Session cookie expiry")
    await wait_for(second, lambda s: s.step == Step.QUEUED and s.queued_behind is not None, "queued")
    await ui.page.set_viewport_size({"width": 1600, "height": 1000})
    await ui.list_workflows('HotfixRepository = "acme/gaia-gateway"')
    await ui.show_columns(add=("HotfixStep", "HotfixRepository"), remove=("Run ID", "Start", "End"))
    await ui.page.screenshot(
        path=str(ROOT / "docs/ui-list.png"), clip={"x": 0, "y": 0, "width": 1600, "height": 420}
    )

    assert status.pull_request is not None
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    status = await wait_for(handle, lambda s: s.back_merge_pull_request is not None, "back-merge PR")
    assert status.back_merge_pull_request is not None
    await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
    await wait_for(handle, lambda s: s.step == Step.DONE, "done")
    await ui.open(first["ui_url"])
    await show_metadata(ui, "docs/ui-done.png")
