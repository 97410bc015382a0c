"""starter.py in scripts and pipes (#13 item 6), with its output piped: plain rows, a line per change
from `watch`, ISO 8601 times, JSON usage errors, --version and completion as the real script; colors
and a hotfix named by its DAY_slug or its pull request in this process (what they test does not
depend on the interpreter starting, and thirteen interpreters cost a tenth of a core-minute).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import datetime
from typing import Any

import pytest

from hotfix.models import Step
from tests.cli.support import ROOT, Server, start

# An SGR sequence that sets a foreground color (NO_COLOR allows bold, not colors: no-color.org).
COLOR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[0-9;]+)m")


async def script(
    server: Server | None, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """starter.py through the interpreter, stdout and stderr pipes (never a terminal)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "starter.py",
        *args,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **(server.vars if server else {}), **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def over(server: Server, wid: str) -> None:
    assert (await server.cli("abort", wid, "--reason", "test over")).exit_code == 0
    await server.until_closed(wid)


def iso_utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    return moment


async def test_list_piped_is_plain_rows_and_its_json_times_are_iso(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/a-repository-with-a-rather-long-name-{unique}"
    wid = (await start(server, repo, f"a description long enough to wrap a table {unique}"))["workflow_id"]
    await server.until_step(wid, Step.CHANGES)
    for _ in range(100):  # visibility follows the step a moment later
        code, out, _ = await script(server, "list", "--repository", repo)
        if "\tchanges\t" in out:
            break
        await asyncio.sleep(0.05)
    assert code == 0
    (row,) = out.splitlines()
    workflow_id, step, status, started = row.split("\t")
    assert (workflow_id, step, status) == (wid, "changes", "RUNNING")  # whole, never wrapped or cut
    iso_utc(started)
    assert not any(box in out for box in "┏━│└")

    code, out, _ = await script(server, "list", "--repository", repo, "--json")
    assert code == 0
    (listed,) = json.loads(out)
    iso_utc(listed["started"])
    code, out, _ = await script(server, "status", wid, "--json")
    assert code == 0
    for event in json.loads(out)["timeline"]:
        iso_utc(event["started_at"])
    await over(server, wid)


async def _watch(server: Server, *args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "starter.py",
        "watch",
        *args,
        "--interval",
        "0.2",
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **server.vars},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return proc, []


async def _line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    return (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode()


def step_of(line: str, as_json: bool) -> str:
    """`TIME ID STEP[: detail]`, or a JSON status."""
    return str(json.loads(line)["step"]) if as_json else line.split(" ", 3)[2].rstrip(":\n")


@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json-lines"])
async def test_watch_piped_prints_a_line_per_change_as_it_happens(
    server: Server, unique: str, as_json: bool
) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    current = await server.until_step(wid, Step.CHANGES)
    proc, _ = await _watch(server, wid, *(["--json"] if as_json else []))
    try:
        # The first line arrives while the hotfix still waits: watch does not hold its output.
        first = await _line(proc)
        assert proc.returncode is None and (await server.status(wid)).step == Step.CHANGES
        server.github.commit(current.work_branch)
        assert (await server.cli("changes-ready", wid)).exit_code == 0
        lines = [first]
        while step_of(lines[-1], as_json) != "approval":  # each step as the watch sees it, until the PR waits
            lines.append(await _line(proc))
        await over(server, wid)
        while line := await _line(proc):
            lines.append(line)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 1  # ended, not done
    finally:
        if proc.returncode is None:
            proc.kill()
    if not as_json:
        parts = [line.split(" ", 3) for line in lines]
        assert all(iso_utc(p[0]) and p[1] == wid for p in parts), lines
    steps = [step_of(line, as_json) for line in lines]
    assert steps[0] == "changes" and steps[-1] == "aborted" and "approval" in steps, steps
    assert len(lines) >= 3


async def test_usage_errors_under_json_are_json(server: Server) -> None:
    code, out, err = await script(server, "status", "--json")
    assert code == 2
    assert json.loads(out) == {
        "ok": False,
        "error": "Missing argument 'ID'.",
        "exit_code": 2,
        "usage": "starter.py status",
    }
    assert err.strip() == "error: Missing argument 'ID'."
    code, out, err = await script(server, "list", "--step", "lunch", "--json")
    assert code == 2 and json.loads(out)["ok"] is False and "lunch" in json.loads(out)["error"]
    # Without --json, click's usage for people.
    code, out, err = await script(server, "status")
    assert code == 2 and out == "" and "Usage: starter.py status" in err


async def test_version() -> None:
    code, out, _ = await script(None, "--version")
    assert code == 0 and out.strip() == "hotfix 0.1.0"


async def test_shell_completion_is_printed_for_the_shell_it_is_typed_in() -> None:
    # Typer finds the shell from the process's parents (shellingham), as when a person types the
    # command: run it from bash, kept as the parent (a pytest run in the background has none).
    line = f"{sys.executable} starter.py --show-completion; true"
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        line,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    raw_out, raw_err = await asyncio.wait_for(proc.communicate(), timeout=60)
    out, err = raw_out.decode(), raw_err.decode()
    assert proc.returncode == 0 and "complete" in out and "_STARTER.PY_COMPLETE" in out, (out, err)
    # What the shell asks when the person presses Tab after `starter.py wa`.
    code, out, _ = await script(
        None, env={"_STARTER.PY_COMPLETE": "complete_bash", "COMP_WORDS": "starter.py wa", "COMP_CWORD": "1"}
    )
    assert code == 0 and out.split() == ["watch"]


async def test_colors_follow_color_and_no_color(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    await server.until_step(wid, Step.CHANGES)
    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("piped", [], {}),
        ("always", ["--color", "always"], {}),
        ("always-over-no-color", ["--color", "always"], {"NO_COLOR": "1"}),
        ("never", ["--color", "never"], {"FORCE_COLOR": "1"}),
        ("no-color", [], {"NO_COLOR": "1", "FORCE_COLOR": "1"}),
    ]
    # The real script, its output a pipe, as a script or a pager reads it (side by side: 5 starts).
    results = await asyncio.gather(*(script(server, "status", wid, *args, env=env) for _, args, env in cases))
    outputs: dict[str, Any] = {}
    for (name, _, _), (code, out, err) in zip(cases, results, strict=True):
        assert code == 0, (name, err)
        outputs[name] = bool(COLOR.search(out))
    await over(server, wid)
    assert outputs == {
        "piped": False,
        "always": True,
        "always-over-no-color": True,
        "never": False,
        "no-color": False,
    }


async def test_a_hotfix_is_found_by_its_slug_or_its_pull_request(server: Server, unique: str) -> None:
    repo = f"acme-{unique}/gaia-gateway"
    wid = (await start(server, repo, f"Fix login {unique}"))["workflow_id"]
    current = await server.until_step(wid, Step.CHANGES)
    server.github.commit(current.work_branch)
    assert (await server.cli("changes-ready", wid)).exit_code == 0
    current = await server.until_step(wid, Step.APPROVAL)
    assert current.pull_request is not None
    key = wid.rsplit("/", 1)[1]
    names = (
        [key, "--repository", repo],
        [key],  # the only hotfix of that name
        # The PR's page as a person copies it (the doubles' own URLs are not GitHub-shaped).
        [f"https://github.example.com/{repo}/pull/{current.pull_request.number}"],
        [f"https://github.example.com/{repo}/pull/{current.pull_request.number}/files"],
        [str(current.pull_request.number), "--repository", repo],
        [f"#{current.pull_request.number}", "--repository", repo],
    )
    # The real script, piped, each way of naming it side by side.
    found = await asyncio.gather(*(script(server, "status", *name, "--json") for name in names))
    for name, (code, out, err) in zip(names, found, strict=True):
        assert code == 0, (name, err)
        assert json.loads(out)["workflow_id"] == wid, name
    code, _, err = await script(server, "status", str(current.pull_request.number))
    assert code == 2 and err.strip() == (
        f"error: '{current.pull_request.number}' is a pull request number: say whose with "
        "--repository OWNER/NAME"
    )
    code, _, err = await script(server, "status", "999", "--repository", repo)
    assert code == 1 and f"no hotfix of {repo} has pull request #999" in err
    assert (await server.cli("abort", wid, "--reason", "test over")).exit_code == 0
