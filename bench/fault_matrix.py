"""The fault matrix: each kind of GitHub failure at every write of a hotfix that ships (#9 item 6).

Runs tests/integration/test_fault_matrix.py (one hotfix per fault kind, every write point failing
once that way, the real activities on a dev server against the sandbox) and writes the table its
cells report to bench/RESULTS.md. Usage: .venv/bin/python bench/fault_matrix.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, write_section

COMMAND = ".venv/bin/python bench/fault_matrix.py"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows.md"
        began = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/integration/test_fault_matrix.py",
            ],
            cwd=ROOT,
            env={**os.environ, "HOTFIX_FAULT_TABLE": str(rows)},
            check=False,
        )
        seconds = time.monotonic() - began
        body = rows.read_text() if rows.exists() else ""
    outcome = (
        "every cell passed" if done.returncode == 0 else f"pytest exited {done.returncode}: see its output"
    )
    write_section(
        "fault_matrix",
        "Fault matrix: every write, every kind of failure",
        f"""`{COMMAND}` ({outcome}; {seconds:.0f} s on this machine). One hotfix per fault kind, with
every write point failing once in that way; each shipped with one effect per write (one branch, one
PR each way, one merge, one deploy run, no comment twice, the cherry-pick applied once). *Requests*:
to that write point, from the failed one to the first answered one (1: the retry found the late
write by reading). *Lost*: seconds from the failed request to the next try. A rate limit is retried
once, when GitHub said (the test fails on a retry before `Retry-After`/`X-RateLimit-Reset`, or more
than 4 s after, plus the settle below). A retried comment or dispatch first waits until what an
earlier attempt sent has surely landed (GitHub's 10 s request limit; 4 s against the sandbox, whose
longest injected delay is 3.5 s), because neither can be told apart from a new one: that wait shows
in their *lost* column. HTTP timeout of the test worker: 2 s.

| Fault | Write | Outcome | Requests | Lost (s) |
|---|---|---|---|---|
{body}""",
    )
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
