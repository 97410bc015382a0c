"""Settings from the environment: clear refusals, sensible durations, the token kept secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from hotfix.settings import ProcessDefaults, WorkerSettings


def test_durations_accept_seconds_iso_and_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTFIX_POLL_INTERVAL", "30")
    monkeypatch.setenv("HOTFIX_APPROVAL_TIMEOUT", "P2D")
    monkeypatch.setenv("HOTFIX_REMINDER_INTERVAL", "02:30:00")
    defaults = ProcessDefaults()
    assert defaults.poll_interval == timedelta(seconds=30)
    assert defaults.approval_timeout == timedelta(days=2)
    assert defaults.reminder_interval == timedelta(hours=2, minutes=30)
    process = defaults.process(ui_base_url="http://ui", namespace="ns")
    assert process.poll_interval == timedelta(seconds=30) and process.namespace == "ns"


def test_runbook_defaults() -> None:
    process = ProcessDefaults(_env_file=None).process(ui_base_url=None, namespace="default")  # type: ignore[call-arg]
    assert (process.environment, process.deploy_workflow, process.main_branch) == (
        "prod",
        "deploy.yml",
        "main",
    )
    assert (process.prod_branch_prefix, process.work_branch_prefix) == ("prod/hotfix/", "hotfix/")
    assert process.changes_timeout == timedelta(days=7)
    assert process.approval_timeout == timedelta(days=3)
    assert process.deploy_approval_timeout == timedelta(days=1)
    assert process.back_merge_timeout == timedelta(days=14)
    assert process.reminder_interval == timedelta(hours=4)


def test_malformed_github_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="HOTFIX_GITHUB_URL must be an http"):
        WorkerSettings(github_url="github.example.com/api/v3")


def test_token_never_shows_in_repr_or_dump() -> None:
    settings = WorkerSettings(github_token="ghs_supersecret")  # type: ignore[arg-type]
    assert "ghs_supersecret" not in repr(settings)
    assert "ghs_supersecret" not in settings.model_dump_json()
    assert settings.github_token is not None and settings.github_token.get_secret_value() == "ghs_supersecret"
