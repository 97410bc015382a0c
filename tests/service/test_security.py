"""Reaching a secured Temporal (#13 item 2): TLS, mTLS, a server name override and an API key, for the
starter and the worker alike, run as operators run them (the real scripts, output piped).

The dev server serves plaintext only, so the secured server is a TLS-terminating proxy in front of it
(tests/service/tls_proxy.py) with a throwaway CA; its server certificate names only `temporal.test`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from hotfix.settings import TemporalSettings
from service.security import Security, SecurityProblem
from tests.service.tls_proxy import SERVER_NAME, Pki, TlsProxy

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "tmprl-api-key-s3cret"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in [key for key in os.environ if key.startswith("HOTFIX_")]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer's .env


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def mtls(pki: Pki, local_env: WorkflowEnvironment) -> Iterator[TlsProxy]:
    upstream = local_env.client.service_client.config.target_host
    with TlsProxy(pki, upstream, require_client_cert=True) as proxy:
        yield proxy


@pytest.fixture
def tls_only(pki: Pki, local_env: WorkflowEnvironment) -> Iterator[TlsProxy]:
    """Temporal Cloud's API-key shape: the server proves who it is, the client sends a key, no cert."""
    upstream = local_env.client.service_client.config.target_host
    with TlsProxy(pki, upstream, require_client_cert=False) as proxy:
        yield proxy


def secured(proxy: TlsProxy, pki: Pki, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOTFIX_TEMPORAL_ADDRESS": proxy.address,
        "HOTFIX_TEMPORAL_TLS_CA": str(pki.ca),
        "HOTFIX_TEMPORAL_TLS_CERT": str(pki.client_cert),
        "HOTFIX_TEMPORAL_TLS_KEY": str(pki.client_key),
        "HOTFIX_TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
        **extra,
    }


def starter(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.get("CWD", str(ROOT)),
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_the_starter_reaches_temporal_over_mtls_with_a_server_name(mtls: TlsProxy, pki: Pki) -> None:
    listed = starter(secured(mtls, pki), "list", "--json", "--limit", "1")
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)


def test_the_starter_reaches_a_tls_server_with_an_api_key_and_no_client_certificate(
    tls_only: TlsProxy, pki: Pki
) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOTFIX_TEMPORAL_ADDRESS": tls_only.address,
        "HOTFIX_TEMPORAL_TLS": "true",
        "HOTFIX_TEMPORAL_TLS_CA": str(pki.ca),
        "HOTFIX_TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
        "HOTFIX_TEMPORAL_API_KEY": API_KEY,
    }
    listed = starter(env, "list", "--json", "--limit", "1")
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)
    assert API_KEY not in listed.stdout + listed.stderr
    # The same without TLS is refused before anything is sent: a key never travels in plaintext.
    plain_env = {k: v for k, v in env.items() if not k.startswith("HOTFIX_TEMPORAL_TLS")}
    plain = starter({**plain_env, "HOTFIX_TEMPORAL_TLS": "false"}, "list")
    assert plain.returncode == 2 and "never sent in plaintext" in one_line(plain)


@pytest.mark.parametrize(
    ("drop", "says"),
    [
        (
            ("HOTFIX_TEMPORAL_TLS_CERT", "HOTFIX_TEMPORAL_TLS_KEY"),
            "over TLS (the server refused the TLS "
            "session: it probably requires a client certificate (HOTFIX_TEMPORAL_TLS_CERT and "
            "HOTFIX_TEMPORAL_TLS_KEY))",
        ),
        (
            ("HOTFIX_TEMPORAL_TLS_SERVER_NAME",),
            "over mTLS (the server's certificate does not carry the host of "
            "HOTFIX_TEMPORAL_ADDRESS: set HOTFIX_TEMPORAL_TLS_SERVER_NAME to the name it carries)",
        ),
        (
            ("HOTFIX_TEMPORAL_TLS_CA",),
            "over mTLS (the server's certificate is not signed by a CA we trust: set "
            "HOTFIX_TEMPORAL_TLS_CA to its CA's PEM file)",
        ),
    ],
    ids=["no-client-certificate", "no-server-name-override", "system-roots-only"],
)
def test_each_missing_piece_of_mtls_is_refused_in_one_line(
    mtls: TlsProxy, pki: Pki, drop: tuple[str, ...], says: str
) -> None:
    # The proxy really checks: without the client certificate, the CA or the server name it fails.
    env = {key: value for key, value in secured(mtls, pki).items() if key not in drop}
    if "HOTFIX_TEMPORAL_TLS_CERT" in drop:
        env["HOTFIX_TEMPORAL_TLS"] = "true"
    result = starter(env, "list")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("error: ") and "cannot reach the Temporal server" in line, line
    assert says in line, line


def test_plaintext_to_a_tls_server_fails_in_one_line(mtls: TlsProxy, pki: Pki) -> None:
    result = starter({"PATH": os.environ["PATH"], "HOTFIX_TEMPORAL_ADDRESS": mtls.address}, "list")
    assert result.returncode == 1
    assert (
        "over plaintext (the connection broke at once: if the server requires TLS, set "
        "HOTFIX_TEMPORAL_TLS=true)" in one_line(result)
    )


@pytest.mark.parametrize(
    "setting",
    [
        "HOTFIX_TEMPORAL_TLS_CERT",
        # The same path for the other two files (four more interpreters started): `make test-all`.
        pytest.param("HOTFIX_TEMPORAL_TLS_KEY", marks=pytest.mark.slow),
        pytest.param("HOTFIX_TEMPORAL_TLS_CA", marks=pytest.mark.slow),
    ],
)
def test_an_unreadable_file_is_one_line_and_exit_2_for_starter_and_worker(
    pki: Pki, tmp_path: Path, setting: str
) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOTFIX_TEMPORAL_TLS_CERT": str(pki.client_cert),
        "HOTFIX_TEMPORAL_TLS_KEY": str(pki.client_key),
        "HOTFIX_TEMPORAL_TLS_CA": str(pki.ca),
        setting: str(tmp_path / "missing.pem"),
        "HOTFIX_GITHUB_TOKEN": "t",
    }
    for script in ("starter.py", "worker.py"):
        args = [sys.executable, str(ROOT / script), *(["list"] if script == "starter.py" else [])]
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == 2, (script, result.stderr)
        assert one_line(result) == (
            f"error: {setting} ({tmp_path / 'missing.pem'}) cannot be read: No such file or directory"
        ), script


def test_a_file_that_is_not_pem_is_named(pki: Pki, tmp_path: Path) -> None:
    junk = tmp_path / "client.pem"
    junk.write_text("not a certificate")
    with pytest.raises(SecurityProblem, match=r"HOTFIX_TEMPORAL_TLS_CERT \(.*client.pem\) is not a PEM file"):
        Security.from_settings(TemporalSettings(temporal_tls_cert=junk, temporal_tls_key=pki.client_key))


def test_the_shapes_the_settings_make(pki: Pki) -> None:
    assert Security.from_settings(TemporalSettings()) == Security(tls=False, api_key=None)
    # Temporal Cloud with an API key: TLS on by itself, the system's roots, the key as a bearer token.
    cloud = Security.from_settings(TemporalSettings(temporal_api_key=API_KEY))  # type: ignore[arg-type]
    assert (
        cloud.api_key == API_KEY
        and isinstance(cloud.tls, TLSConfig)
        and cloud.tls.server_root_ca_cert is None
    )
    assert API_KEY not in cloud.describe() and cloud.describe() == "TLS + API key"
    assert API_KEY not in repr(TemporalSettings(temporal_api_key=API_KEY))  # type: ignore[arg-type]
    full = Security.from_settings(
        TemporalSettings(
            temporal_tls_cert=pki.client_cert, temporal_tls_key=pki.client_key, temporal_tls_server_name="t.x"
        )
    )
    assert isinstance(full.tls, TLSConfig) and full.tls.domain == "t.x" and full.describe() == "mTLS"
    with pytest.raises(
        SecurityProblem, match="HOTFIX_TEMPORAL_TLS_CERT is set but HOTFIX_TEMPORAL_TLS_KEY is not"
    ):
        Security.from_settings(TemporalSettings(temporal_tls_cert=pki.client_cert))
    with pytest.raises(SecurityProblem, match="never sent in plaintext"):
        Security.from_settings(TemporalSettings(temporal_tls=False, temporal_api_key=API_KEY))  # type: ignore[arg-type]


def test_the_worker_serves_over_mtls_with_an_api_key_and_never_logs_the_key(
    mtls: TlsProxy, pki: Pki, tmp_path: Path
) -> None:
    # The dev server ignores the Authorization header, so this shows the worker connects with the key
    # set and keeps it out of its output; that the SDK sends it is the SDK's (api_key=) contract.
    log = tmp_path / "worker.log"
    env = secured(
        mtls,
        pki,
        HOTFIX_TEMPORAL_API_KEY=API_KEY,
        HOTFIX_GITHUB_TOKEN="t",
        HOTFIX_TASK_QUEUE=f"tq-{uuid.uuid4()}",
        HOTFIX_LOG_FORMAT="json",
    )
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 40
            while '"worker started"' not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=45) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    started = next(json.loads(line) for line in text.splitlines() if '"worker started"' in line)
    assert started["temporal_security"] == "mTLS + API key"
    assert API_KEY not in text
