"""starter.py as an operator runs it, through the interpreter: one line, the documented exit codes."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.support import ROOT, free_port


def test_the_real_script_gives_one_line_and_exit_codes() -> None:
    """Through the interpreter, as an operator runs it: no traceback, the documented exit codes."""
    address = f"127.0.0.1:{free_port()}"
    env = {"PATH": "/usr/bin:/bin", "HOTFIX_TEMPORAL_ADDRESS": address}
    bad = subprocess.run(
        [sys.executable, "starter.py", "start", "acme", "fix"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "OWNER/NAME" in bad.stderr
    down = subprocess.run(
        [sys.executable, "starter.py", "status", "hotfix/acme/a/2025-01-01_x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert down.returncode == 1
    assert down.stderr.strip().count("\n") == 0 and address in down.stderr
