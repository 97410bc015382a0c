"""`make demo` end to end, as the README's first command runs it, in a state directory of its own."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from local import demo
from local import stack as devstack
from local.stack import port_free

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "runs",
    [
        # A whole stack of its own (Temporal, sandbox, receiver, worker): a tenth of `make test`'s CPU,
        # for what `make demo` shows anyone who runs it. `make test-all` (CI) runs it.
        pytest.param(1, id="once", marks=pytest.mark.slow),
        # Idempotent: the second run in the same directory starts from fresh state too.
        pytest.param(2, id="twice", marks=pytest.mark.slow),
    ],
)
def test_the_demo_runs_a_whole_hotfix(tmp_path: Path, runs: int) -> None:
    state = tmp_path / "demo"
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-m", "local.demo", "--state-dir", str(state), "--free-ports"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        out = " ".join(result.stdout.split())
        assert "summary" in out and "(done)" in out
        for expected in (
            "pull request",
            "deploy run",
            "back-merge",
            "GitHub API calls",
            "Temporal UI:",
            "change record (left on PR #1)",
            "Review of PR #1",
        ):
            assert expected in out
        for act in ("dev-1 pushed", "prod-reviewer-1 approved PR", "prod-reviewer-2 approved deploy run"):
            assert act in out
        # It stopped what it started: the ports it used are free again.
        ports = re.search(
            r"Temporal 127\.0\.0\.1:(\d+) \(UI http://localhost:(\d+)\), sandbox GitHub http://127\.0\.0\.1:(\d+)",
            out,
        )
        assert ports, out
        assert all(port_free(int(port)) for port in ports.groups())


def test_the_demo_refuses_to_wipe_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert demo.main(["--state-dir", str(tmp_path)]) == 2
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_busy_default_ports_are_moved_and_said_so() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        ports, moved = devstack.Ports.defaults_or_free(devstack.Ports(sandbox=busy))
    assert ports.sandbox != busy
    assert any(f"port {busy} is busy, using {ports.sandbox}" in note for note in moved)


def test_the_stack_names_its_binary_from_the_venv() -> None:
    assert Path(devstack.venv_binary("temporal")).name == "temporal"
