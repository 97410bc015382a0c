"""The sandbox tests' own `sandbox` fixture: like the shared one, and every response is contract-checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.testing import SandboxHandle, running_sandbox
from tests.sandbox.contract import contract


def check_contract(handle: SandboxHandle) -> None:
    log = handle.requests()
    problems = contract().check_log(log)
    if problems:
        pytest.fail("responses that break GitHub's OpenAPI description:\n" + "\n".join(problems[:40]))


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    with running_sandbox(
        tmp_path / "sandbox-state", ci_seconds=0.2, deploy_seconds=0.3, record_bodies=True
    ) as h:
        yield h
        check_contract(h)
