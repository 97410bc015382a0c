"""Wall time of `make test` (and of `make test-all`), with pytest's summary line and the 10 slowest tests.

Usage: .venv/bin/python bench/suite_time.py [--no-write] [--all] [--timeout 1800]

Runs what `make test` runs (`pytest -n 4 --dist worksteal -m "not slow and not ui" --durations=10`;
with `--all`, what `make test-all` runs) once, in the project directory, and replaces the
"Test-suite wall time" section of bench/RESULTS.md. Reports; asserts nothing about the time.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

from common import ROOT, command_line, machine_note, table, write_section

# What the Makefile's PYTEST_XDIST says (TEST_WORKERS ?= 4).
XDIST = ["-n", "4", "--dist", "worksteal"]
# pytest -q ends with "N passed in S s" (framed in "=" when something failed); log lines may follow it.
SUMMARY = re.compile(r"^=* ?(\d+ (passed|failed|error|errors|skipped).* in [0-9.]+s.*?|no tests ran.*?) ?=*$")
DURATION = re.compile(r"^\s*(\d+\.\d+)s (call|setup|teardown)\s+(\S.*)$")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    parser.add_argument("--all", action="store_true", help="the slow tests too, as `make test-all`")
    args = parser.parse_args()
    marks = "not ui" if args.all else "not slow and not ui"
    cmd = [sys.executable, "-m", "pytest", "-q", *XDIST, "-m", marks, "--durations=10"]
    started = time.monotonic()
    try:
        # As the Makefile's TEST_ENV: bytecode is cached even where PYTHONDONTWRITEBYTECODE is set.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=args.timeout)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as err:
        raw = err.stdout or b""
        output = raw.decode() if isinstance(raw, bytes) else raw
        code = -1
    wall = time.monotonic() - started
    lines = output.splitlines()
    summary = next((m.group(1) for line in reversed(lines) if (m := SUMMARY.match(line))), None)
    if summary is None:
        summary = next((line for line in reversed(lines) if line.strip()), "(no output)")
    slowest = [(float(m.group(1)), m.group(2), m.group(3)) for line in lines if (m := DURATION.match(line))]
    slowest.sort(reverse=True)
    slowest = slowest[:10]

    print(f"pytest exit code {code}, wall time {wall:.1f} s")
    print(f"summary: {summary}")
    for seconds, phase, test in slowest:
        print(f"  {seconds:7.2f}s {phase:8s} {test}")
    if code not in (0, 1):
        print(output[-3000:])
    if args.no_write:
        return
    body = "\n".join(
        [
            f"Command: `{command_line()}` ({machine_note()}); it runs "
            f'`.venv/bin/python -m pytest -q {" ".join(XDIST)} -m "{marks}" --durations=10` once '
            f"(what `make {'test-all' if args.all else 'test'}` runs).",
            "",
            f"- Wall time: **{wall:.1f} s** (pytest exit code {code}).",
            f"- Summary: `{summary}`",
            "",
            "The 10 slowest test phases (`--durations=10`):",
            "",
            table(
                ["seconds", "phase", "test"],
                [(f"{seconds:.2f}", phase, f"`{test}`") for seconds, phase, test in slowest],
            ),
        ]
    )
    write_section("suite_time", "Test-suite wall time", body)


if __name__ == "__main__":
    main()
