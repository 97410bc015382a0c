"""The shared command line (cli/options.py): every command takes --json and --help, and every
command that takes a repository refuses one that is not OWNER/NAME, with exit code 2.
"""

from __future__ import annotations

import pytest

from tests.cli.support import COMMANDS, invoke, one_error_line


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_json(command: str) -> None:
    result = invoke([command, "--help"])
    assert result.exit_code == 0, result.output
    assert "--json" in result.stdout


def test_doctor_and_list_refuse_a_malformed_repository() -> None:
    for args in (["doctor", "not-a-repo"], ["list", "--repository", "not-a-repo"]):
        result = invoke(args)
        assert result.exit_code == 2
        assert "OWNER/NAME" in one_error_line(result)


def test_who_runs_the_cli_is_not_made_up_when_the_environment_does_not_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cli.options import current_user

    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("USERNAME", raising=False)
    assert current_user() is None
    monkeypatch.setenv("USER", "dev-1")
    assert current_user() == "dev-1"
