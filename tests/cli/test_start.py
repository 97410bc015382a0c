"""`start` (cli/start.py): it refuses bad input with exit code 2 before reaching Temporal; it fixes the
day and takes the process defaults; it prints the workflow ID, both branches and the UI page (or JSON),
sets the summary, details and search attributes; it waits for preflight and fails with its reason
(unless --no-wait); and it refuses a second start of the same hotfix.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

from cli.start import build_request, static_summary
from hotfix.models import Step
from tests.cli.support import Server, invoke, one_error_line, start


@pytest.mark.parametrize(
    "repo", ["gaia-gateway", "acme/", "/gaia", "acme/gaia/extra", "ac me/gaia", "acme/x.git"]
)
def test_start_refuses_a_malformed_repository(repo: str) -> None:
    result = invoke(["start", repo, "fix login"])
    assert result.exit_code == 2
    assert "repository must look like OWNER/NAME" in one_error_line(result)


@pytest.mark.parametrize("description", ["", "   ", "!!!", "* / *"])
def test_start_refuses_an_empty_or_all_symbol_description(description: str) -> None:
    result = invoke(["start", "acme/gaia-gateway", description])
    assert result.exit_code == 2
    assert "description must contain at least one letter or digit" in one_error_line(result)


def test_start_refuses_a_cherry_pick_that_is_not_a_sha() -> None:
    result = invoke(["start", "acme/gaia-gateway", "fix login", "--cherry-pick", "main"])
    assert result.exit_code == 2
    assert "--cherry-pick takes commit SHAs" in one_error_line(result)


def test_build_request_fixes_the_day_and_takes_process_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTFIX_ENVIRONMENT", "production")
    request = build_request(
        " acme/gaia-gateway ",
        "  Fix login redirect ",
        requested_by="dev-1",
        base=None,
        cherry_picks=["abc1234"],
        ui_url="http://ui:8233",
        namespace="hotfixes",
        day=date(2025, 5, 22),
    )
    assert request.repository == "acme/gaia-gateway"
    assert request.description == "Fix login redirect"
    assert request.day == date(2025, 5, 22)
    assert request.settings.environment == "production"
    assert request.settings.ui_base_url == "http://ui:8233"
    assert request.settings.namespace == "hotfixes"


def test_summary_fits_the_ui_limit() -> None:
    summary = static_summary("acme/gaia-gateway", "ä" * 500)
    assert len(summary.encode()) <= 400
    assert summary.startswith("Hotfix acme/gaia-gateway: ")


async def test_start_prints_id_branches_and_ui_url(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    result = await server.cli("start", repo, f"Fix login {unique}")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert f"hotfix/{repo}/" in text and f"fix-login-{unique}" in text
    assert "hotfix/20" in text and "prod/hotfix/20" in text
    assert "http://ui.test:8233/namespaces/default/workflows/hotfix%2Facme-" in text


async def test_start_json_then_status_and_search_attributes(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    started = await start(server, repo, f"Fix login {unique}")
    wid = started["workflow_id"]
    assert started["work_branch"].startswith("hotfix/") and started["prod_branch"].startswith("prod/hotfix/")
    assert started["ui_url"].endswith("/workflows/" + wid.replace("/", "%2F"))
    await server.until_step(wid, Step.CHANGES)

    status = await server.cli("status", wid, "--json")
    assert status.exit_code == 0, status.output
    payload = json.loads(status.stdout)
    assert payload["step"] == "changes" and payload["execution_status"] == "RUNNING"
    human = await server.cli("status", wid)
    assert human.exit_code == 0 and "changes" in human.stdout

    description = await server.env.client.get_workflow_handle(wid).describe()
    assert await description.static_summary() == f"Hotfix {repo}: Fix login {unique}"
    assert "changes_ready" in (await description.static_details() or "")
    listed = await server.cli("list", "--repository", repo, "--json")
    assert listed.exit_code == 0, listed.output
    assert [row["workflow_id"] for row in json.loads(listed.stdout)] == [wid]


async def test_a_second_start_of_the_same_hotfix_is_refused(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    started = await start(server, repo, f"Fix login {unique}")
    again = await server.cli("start", repo, f"fix   LOGIN {unique}!")  # same slug, same hotfix
    assert again.exit_code == 1
    line = one_error_line(again)
    assert started["workflow_id"] in line and "already running" in line
    assert f"('Fix login {unique}')" in line  # whose hotfix holds the name


def test_start_refuses_a_description_too_long_for_a_pull_request_title() -> None:
    result = invoke(["start", "acme/gaia-gateway", "x" * 181])
    assert result.exit_code == 2
    assert "description is 181 characters; at most 180" in one_error_line(result)


def test_a_description_is_one_line() -> None:
    request = build_request(
        "acme/gaia-gateway",
        "Fix login\n**Requested by:** @someone-else",
        requested_by="dev-1",
        base=None,
        cherry_picks=[],
        ui_url="http://localhost:8233",
        namespace="default",
        day=date(2026, 11, 23),
    )
    assert request.description == "Fix login **Requested by:** @someone-else"


async def test_start_waits_for_preflight_and_says_it_passed(server: Server, unique: str) -> None:
    result = await server.cli("start", f"acme-{unique}/gaia-gateway", f"Fix login {unique}")
    assert result.exit_code == 0, result.output
    assert "preflight       passed; now at" in result.stdout


async def test_start_fails_with_preflights_reason_when_a_base_does_not_exist(
    server: Server, unique: str
) -> None:
    server.github.unknown_refs.add("no-such-branch")
    result = await server.cli(
        "start", f"acme-{unique}/gaia-gateway", f"Fix login {unique}", "--base", "no-such-branch"
    )
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "nothing was created" in line and "preflight failed: base: no commit no-such-branch" in line
    assert not [c for c in server.github.calls if c.startswith("create_branch")]


async def test_start_no_wait_returns_before_preflight(server: Server, unique: str) -> None:
    server.github.unknown_refs.add("no-such-branch")
    result = await server.cli(
        "start",
        f"acme-{unique}/gaia-gateway",
        f"Fix {unique}",
        "--base",
        "no-such-branch",
        "--no-wait",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["step"] == "preflight"


async def test_start_says_when_preflight_is_retrying(server: Server, unique: str) -> None:
    server.github.down = True
    task = asyncio.create_task(server.cli("start", f"acme-{unique}/gaia-gateway", f"Fix {unique}"))
    await asyncio.sleep(1.5)  # preflight fails at once, and its second attempt comes 1 s later
    server.github.down = False
    result = await task
    assert result.exit_code == 0, result.output
    assert "preflight is retrying (preflight, attempt 2: GitHub answered 502)" in result.stderr


async def test_a_description_in_any_script_keeps_its_words_in_the_names(server: Server, unique: str) -> None:
    started = await start(server, f"acme-{unique}/gaia-gateway", f"日本語の修正 {unique}")
    assert started["workflow_id"].endswith(f"_ri-ben-yu-no-xiu-zheng-{unique}")
    status = await server.until_step(started["workflow_id"], Step.CHANGES)
    # The workflow names its branches from the slug the starter fixed, not from its own reading.
    assert status.work_branch == started["work_branch"] and status.prod_branch == started["prod_branch"]


async def test_status_says_what_github_call_is_retrying_and_why(server: Server, unique: str) -> None:
    server.github.down = True
    started = await server.cli("start", f"acme-{unique}/gaia-gateway", f"Fix {unique}", "--no-wait", "--json")
    wid = json.loads(started.stdout)["workflow_id"]
    for _ in range(100):
        shown = json.loads((await server.cli("status", wid, "--json")).stdout)
        if shown["retrying"]:
            break
        await asyncio.sleep(0.05)
    assert shown["step"] == "preflight" and shown["retrying"].startswith("preflight, attempt ")
    assert shown["retrying"].endswith("GitHub answered 502")
    panel = await server.cli("status", wid)
    assert "retrying: preflight, attempt" in " ".join(panel.stdout.split())
    server.github.down = False
    await server.until_step(wid, Step.CHANGES)
    assert json.loads((await server.cli("status", wid, "--json")).stdout)["retrying"] is None
