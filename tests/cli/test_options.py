"""The shared command line (cli/options.py): every command takes --json and --help, and every
command that takes a repository refuses one that is not OWNER/NAME, with exit code 2.
"""

from __future__ import annotations

from pathlib import Path

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

    no_git_user(monkeypatch)
    for name in ("HOTFIX_USER", "USER", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    assert current_user() is None
    monkeypatch.setenv("USER", "dev-1")
    assert current_user() == "dev-1"


def no_git_user(monkeypatch: pytest.MonkeyPatch, tmp: Path | None = None) -> None:
    """git reads only `tmp`'s config (or none), whatever the machine's own says."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp) if tmp else "/dev/null")


def test_who_acts_is_hotfix_user_then_gits_github_user_then_the_login_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cli.options import acting_user

    config = tmp_path / "gitconfig"
    config.write_text("[github]\n\tuser = octo-dev\n")
    no_git_user(monkeypatch, config)
    monkeypatch.chdir(tmp_path)  # outside any repository, so only the global config counts
    monkeypatch.setenv("USER", "root")
    monkeypatch.setenv("HOTFIX_USER", "dev-1")
    assert acting_user(None) == "dev-1"
    monkeypatch.delenv("HOTFIX_USER")
    assert acting_user(None) == "octo-dev"
    no_git_user(monkeypatch)
    assert acting_user(None) == "root"
    assert acting_user(" prod-reviewer-1 ") == "prod-reviewer-1"


@pytest.mark.parametrize("by", ["not a login", "-dash-first", "a--b", "x" * 40, "dev-1;rm"])
def test_by_that_is_no_github_login_is_refused_with_exit_2(by: str) -> None:
    commands = (
        ["start", "acme/gaia-gateway", "fix login"],
        ["rollback", "acme/gaia-gateway", "--reason", "bad release"],
        ["abort", "hotfix/x", "--reason", "r"],
        ["changes-ready", "hotfix/x"],
        ["recheck", "hotfix/x"],
        ["retry-deploy", "hotfix/x"],
    )
    for command in commands:
        result = invoke([*command, "--by", by])
        assert result.exit_code == 2, (command, result.output)
        assert "--by takes a GitHub login" in one_error_line(result)
