"""Every benchmark, one after the other; each replaces its own section of bench/RESULTS.md.

Usage: .venv/bin/python bench/run_all.py [--skip NAME ...]   (`make bench` runs it)

The benchmarks run in sequence, never together: they share two cores, and each starts its own
Temporal server, sandbox GitHub and worker, and stops them before the next one begins.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (script, seconds after which it is stopped: a bound, not an expectation)
BENCHMARKS = [
    ("sandbox_throughput.py", 300),
    ("api_calls.py", 600),
    ("history_events.py", 600),
    ("reaction_time.py", 600),
    ("webhook_reactions.py", 600),
    ("cancelled_poll.py", 300),
    ("fault_matrix.py", 900),
    ("shutdown.py", 300),
    ("worker_memory.py", 1200),
    ("suite_time.py", 2400),
]


def run(script: str, bound: float) -> int:
    """Run one benchmark in its own session; past `bound`, interrupt it (so it stops what it started,
    as on Ctrl-C), and if that does not end it within a minute, kill its whole process group."""
    proc = subprocess.Popen([sys.executable, str(HERE / script)], cwd=HERE.parent, start_new_session=True)
    try:
        return proc.wait(bound)
    except subprocess.TimeoutExpired:
        print(f"bench/{script} still running after {bound:.0f} s: interrupting it", flush=True)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip", nargs="*", default=[], help="script names to leave out, e.g. suite_time")
    args = parser.parse_args()
    skip = {name.removesuffix(".py") for name in args.skip}
    failed: list[str] = []
    for script, bound in BENCHMARKS:
        if script.removesuffix(".py") in skip:
            continue
        print(f"\n=== bench/{script}", flush=True)
        started = time.monotonic()
        try:
            code = subprocess.run(
                [sys.executable, str(HERE / script)], cwd=HERE.parent, timeout=bound
            ).returncode
        except subprocess.TimeoutExpired:
            code = -1
            print(f"bench/{script} stopped after {bound} s", flush=True)
        print(f"=== bench/{script}: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(script)
    if failed:
        print("failed: " + ", ".join(failed))
        sys.exit(1)
    print("\nall benchmarks done; results in bench/RESULTS.md")


if __name__ == "__main__":
    main()
