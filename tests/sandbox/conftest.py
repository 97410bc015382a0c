"""The sandbox tests' helpers; the `sandbox` fixture itself (contract-checked) is in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from sandbox.testing import SandboxHandle, running_sandbox
from tests.sandbox.contract import contract


def check_contract(handle: SandboxHandle) -> None:
    """Fail with the answers of `handle` (started with validate=contract().check) that break the contract."""
    problems = handle.contract_violations()
    if problems:
        pytest.fail("responses that break GitHub's OpenAPI description:\n" + "\n".join(problems[:40]))


MakeSandbox = Callable[..., AbstractContextManager[SandboxHandle]]


@pytest.fixture
def make_sandbox(tmp_path: Path) -> MakeSandbox:
    """A sandbox with the seed a test builds (sandbox.seed.default_seed(), changed), contract-checked."""
    count = 0

    @contextmanager
    def start(seed: dict[str, Any], **options: Any) -> Iterator[SandboxHandle]:
        nonlocal count
        count += 1
        options.setdefault("ci_seconds", 0.2)
        options.setdefault("deploy_seconds", 0.3)
        with running_sandbox(tmp_path / f"state-{count}", seed, validate=contract().check, **options) as h:
            yield h
            check_contract(h)

    return start
