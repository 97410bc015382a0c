"""Without Chromium the browser suite fails and says how to install it: it never skips silently.

No browser needed: this runs in `make test` too.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.ui import conftest
from tests.ui.temporal_ui import ROOT


def test_make_test_ui_says_in_one_line_how_to_install_chromium_and_fails() -> None:
    done = subprocess.run(
        # -o: take the venv as built, whatever the stamp says; this is about the Chromium check.
        ["make", "-s", "test-ui", "CHROMIUM=/nonexistent/chromium", "-o", ".venv/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        "/nonexistent/chromium is missing: install Debian's Chromium with `sudo apt-get install -y chromium`"
    )


def test_the_suite_fails_with_the_same_hint_when_run_without_make(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        conftest.chromium_path()
