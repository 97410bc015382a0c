"""service/logs.py: off a terminal every line is one JSON object, whoever logs it; tracebacks are a
field without the frames' locals; secrets are redacted. Run in a child process: logging is global."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import logging, structlog
    from service import logs
    logs.configure({fmt!r})
    structlog.get_logger("ours").info("from structlog", temporal_run_id="t-1", github_token="ghs_x")
    logging.getLogger("temporalio.worker").warning("from the standard library %s", "too")
    def fails():
        token = "ghs_local_secret"
        raise RuntimeError("boom")
    try:
        fails()
    except RuntimeError:
        logging.getLogger("temporalio.worker._workflow_instance").exception(
            "failed activation",
            extra={{"temporal_workflow": {{"workflow_id": "hotfix/a/b/x", "run_id": "r-1",
                                          "workflow_type": "HotfixWorkflow"}}}},
        )
    logging.getLogger(logs.CORE_LOGGER).warning("core says")
    """
)


def run(fmt: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(fmt=fmt)], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_every_line_is_json_with_the_same_keys_and_tracebacks_as_fields() -> None:
    out = run("auto")  # stderr is a pipe here, as under docker or systemd
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["event"] for r in records] == [
        "from structlog",
        "from the standard library too",
        "failed activation",
        "core says",
    ]
    assert all({"level", "logger", "timestamp"} <= r.keys() for r in records)
    assert records[0]["github_token"] == "***" and records[0]["temporal_run_id"] == "t-1"
    failed = records[2]
    # The SDK's context extra, flattened: the run is a Temporal run, said so.
    assert (failed["workflow_id"], failed["temporal_run_id"]) == ("hotfix/a/b/x", "r-1")
    assert "temporal_workflow" not in failed and "run_id" not in failed
    (exc,) = failed["exception"]
    assert exc["exc_type"] == "RuntimeError" and exc["frames"][-1]["name"] == "fails"
    assert "ghs_local_secret" not in out and "ghs_x" not in out


def test_console_output_when_asked() -> None:
    out = run("console")
    assert "from structlog" in out and not out.lstrip().startswith("{")
