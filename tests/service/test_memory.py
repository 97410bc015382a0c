"""The worker limits glibc's malloc arenas before its threads start (service/memory.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _limit(env: dict[str, str]) -> str:
    code = "from service.memory import limit_malloc_arenas; print(limit_malloc_arenas())"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_worker_sets_two_arenas_unless_the_environment_chose() -> None:
    # A fresh process each: mallopt changes the process it runs in.
    base = {"PATH": "/usr/bin:/bin"}
    assert _limit(base) == "True"  # glibc here (Debian, as in the image)
    assert _limit({**base, "MALLOC_ARENA_MAX": "4"}) == "False"  # glibc read it already: left alone


def test_the_image_sets_it_for_every_process() -> None:
    assert "MALLOC_ARENA_MAX=2" in (ROOT / "Dockerfile").read_text()


def test_worker_main_sets_it_before_anything_else() -> None:
    source = (ROOT / "worker.py").read_text()
    body = source.split("def main() -> None:\n", 1)[1]
    assert body.lstrip().startswith("limit_malloc_arenas()")
