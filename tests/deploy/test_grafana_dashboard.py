"""deploy/grafana-dashboard.json graphs only metrics the worker and the receiver export (#13 item 5);
the SDK's ones are checked against a running worker in tests/integration/test_observability.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hotfix import telemetry
from service.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"
NAME = re.compile(r"\b((?:hotfix|temporal)_[a-z0-9_]+)\b")
# The receiver's counters (receiver/app.py) live on its own registry, made per app.
RECEIVER = {"hotfix_webhook_deliveries", "hotfix_webhook_signals"}


def dashboard_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return {name for expr in exprs for name in NAME.findall(expr)}


def bare(name: str) -> str:
    return re.sub(r"_(total|bucket|count|sum)$", "", name)


def test_every_hotfix_metric_of_the_dashboard_is_exported() -> None:
    ours = {metric.name for metric in REGISTRY.collect()}
    from_the_workflow = {telemetry.STEP_DURATION, telemetry.WAIT_DURATION, telemetry.BLOCKED}
    known = ours | from_the_workflow | RECEIVER
    names = {bare(name) for name in dashboard_metrics() if name.startswith("hotfix_")}
    assert names and names <= known, names - known


def test_the_dashboard_is_importable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    # Every panel asks the data source the importer picks, never a uid of our own machine.
    assert all(panel["datasource"]["uid"] == "${datasource}" for panel in dashboard["panels"])
