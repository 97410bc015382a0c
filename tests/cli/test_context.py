"""What every command does alike (cli/context.py): bad settings are bad usage (2), an unreachable
server is one line naming it and how to start one (1), and with --json an error is JSON on stdout too.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.support import free_port, invoke, one_error_line


def test_bad_settings_are_bad_usage() -> None:
    result = invoke(["start", "acme/gaia-gateway", "fix login"], env={"HOTFIX_POLL_INTERVAL": "often"})
    assert result.exit_code == 2
    assert "HOTFIX_POLL_INTERVAL" in one_error_line(result)


@pytest.mark.parametrize(
    "args",
    [
        ["start", "acme/gaia-gateway", "fix login"],
        ["status", "hotfix/acme/gaia-gateway/2025-01-01_x"],
        ["changes-ready", "hotfix/acme/gaia-gateway/2025-01-01_x"],
        ["list"],
    ],
)
def test_an_unreachable_server_is_named_with_how_to_start_one(args: list[str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = invoke(args, env={"HOTFIX_TEMPORAL_ADDRESS": address})
    assert result.exit_code == 1
    line = one_error_line(result)
    assert address in line
    assert "make up" in line


def test_json_errors_are_json_on_stdout_too() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = invoke(["list", "--json", "--address", address])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"ok": False, "error": one_error_line(result)[7:], "exit_code": 1}
