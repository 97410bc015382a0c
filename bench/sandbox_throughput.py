"""Sandbox GitHub throughput through PyGithub: GETs and ref-creating POSTs per second.

Usage: .venv/bin/python bench/sandbox_throughput.py [--requests 1000]

The sandbox runs as its own process (`python -m sandbox serve`, one event loop, so one core) and the
client is the unchanged PyGithub in this process, one request at a time, as the workflow's activities
call it. Prints the rates and replaces the "Sandbox throughput" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import github
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox import seed  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Sandbox throughput"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(state: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--profile",
        "ghes-3.21",
        "--port",
        str(port),
        "--state-dir",
        str(state),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v3/meta", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("sandbox did not start")


def rate(n: int, call: object) -> float:
    started = time.perf_counter()
    for i in range(n):
        call(i)  # type: ignore[operator]
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp) / "state", port)
        try:
            gh = github.Github(
                auth=github.Auth.Token(seed.BOT_TOKEN),
                base_url=f"http://127.0.0.1:{port}/api/v3",
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
            )
            repo = gh.get_repo(seed.REPO)
            sha = repo.get_branch("main").commit.sha
            rate(50, lambda i: repo.get_branch("main"))  # warm up
            get_rate = rate(args.requests, lambda i: repo.get_branch("main"))
            post_rate = rate(args.requests, lambda i: repo.create_git_ref(f"refs/heads/bench/{i}", sha))
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"GET  /repos/{{o}}/{{r}}/branches/main via PyGithub: {get_rate:8.0f} req/s")
    print(f"POST /repos/{{o}}/{{r}}/git/refs via PyGithub:      {post_rate:8.0f} req/s")
    if not args.no_write:
        write_section(get_rate, post_rate, args.requests)


def write_section(get_rate: float, post_rate: float, n: int) -> None:
    body = "\n".join(
        [
            SECTION,
            "",
            f"Command: `.venv/bin/python bench/sandbox_throughput.py --requests {n}` "
            f"({time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, {os.cpu_count()} cores; "
            "sandbox in its own process, PyGithub sequential in another).",
            "",
            "| request through PyGithub | requests/s |",
            "|---|---|",
            f"| `GET /repos/{{owner}}/{{repo}}/branches/main` (`Repository.get_branch`) | {get_rate:.0f} |",
            f"| `POST /repos/{{owner}}/{{repo}}/git/refs` (`Repository.create_git_ref`, a real ref "
            f"+ a `ci` check run + state saved) | {post_rate:.0f} |",
            "",
            "Target: at least 300 GET/s on one core, so the sandbox is never the bottleneck of the "
            "hotfix benchmarks.",
            "",
        ]
    )
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(text)
    print(f"updated {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
