"""How the starter, the worker and the webhook receiver secure their connection to Temporal.

Three shapes, all from HOTFIX_TEMPORAL_* settings (hotfix/settings.py, README "Connecting to a secured
Temporal"):

- plaintext: a local dev server or a cluster on a private network (the default);
- TLS with an API key: Temporal Cloud's API keys (`HOTFIX_TEMPORAL_API_KEY`), server verified
  against the system's roots unless `HOTFIX_TEMPORAL_TLS_CA` names another CA;
- mTLS: a client certificate and key (`HOTFIX_TEMPORAL_TLS_CERT`/`_KEY`), for Temporal Cloud's
  certificate namespaces and self-hosted clusters with `requireClientAuth`.

The files are read once, at start; an unreadable or malformed one is a `SecurityProblem` whose
message is one line naming the setting and the path (the worker and the CLI exit 2 with it). The API
key and the private key stay in memory: `describe()` says which shape is used, never their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from temporalio.service import TLSConfig

from hotfix.settings import TemporalSettings


class SecurityProblem(ValueError):
    """A Temporal TLS/API-key setting cannot be used; the message is one line for a human."""


@dataclass(frozen=True)
class Security:
    """What `Client.connect` gets: `tls` (False, or a TLSConfig) and the API key."""

    tls: TLSConfig | bool = False
    api_key: str | None = None

    @classmethod
    def from_settings(cls, settings: TemporalSettings) -> Security:
        cert = _read(settings.temporal_tls_cert, "HOTFIX_TEMPORAL_TLS_CERT", "CERTIFICATE")
        key = _read(settings.temporal_tls_key, "HOTFIX_TEMPORAL_TLS_KEY", "PRIVATE KEY")
        ca = _read(settings.temporal_tls_ca, "HOTFIX_TEMPORAL_TLS_CA", "CERTIFICATE")
        if (cert is None) != (key is None):
            given, missing = (
                ("HOTFIX_TEMPORAL_TLS_CERT", "HOTFIX_TEMPORAL_TLS_KEY")
                if cert
                else ("HOTFIX_TEMPORAL_TLS_KEY", "HOTFIX_TEMPORAL_TLS_CERT")
            )
            raise SecurityProblem(
                f"{given} is set but {missing} is not: mTLS needs both the certificate and its key"
            )
        api_key = settings.temporal_api_key.get_secret_value().strip() if settings.temporal_api_key else None
        wanted = settings.temporal_tls
        anything = bool(cert or ca or settings.temporal_tls_server_name or api_key)
        if wanted is False and (cert or ca or settings.temporal_tls_server_name):
            raise SecurityProblem(
                "HOTFIX_TEMPORAL_TLS is false but TLS settings are given (HOTFIX_TEMPORAL_TLS_CERT, "
                "_KEY, _CA or _SERVER_NAME): unset them or set HOTFIX_TEMPORAL_TLS=true"
            )
        if wanted is False and api_key:
            raise SecurityProblem(
                "HOTFIX_TEMPORAL_API_KEY is set with HOTFIX_TEMPORAL_TLS=false: an API key is never sent in "
                "plaintext; unset HOTFIX_TEMPORAL_TLS"
            )
        if not (wanted or anything):
            return cls(tls=False, api_key=None)
        tls = TLSConfig(
            server_root_ca_cert=ca,
            domain=settings.temporal_tls_server_name or None,
            client_cert=cert,
            client_private_key=key,
        )
        return cls(tls=tls, api_key=api_key or None)

    def describe(self) -> str:
        """For log lines and errors: the shape, never a secret."""
        if self.tls is False:
            return "plaintext"
        parts = ["mTLS" if isinstance(self.tls, TLSConfig) and self.tls.client_cert else "TLS"]
        if self.api_key:
            parts.append("API key")
        return " + ".join(parts)


def _read(path: Path | None, setting: str, pem_label: str) -> bytes | None:
    if path is None:
        return None
    try:
        data = path.expanduser().read_bytes()
    except OSError as err:
        raise SecurityProblem(f"{setting} ({path}) cannot be read: {err.strerror or err}") from None
    if b"-----BEGIN " not in data or pem_label.encode() not in data:
        raise SecurityProblem(f"{setting} ({path}) is not a PEM file with a {pem_label} block")
    return data


# What the SDK's (rustls, tonic) connection errors mean, in the settings a human changes.
_TLS_HINTS = [
    (
        "UnknownIssuer",
        "the server's certificate is not signed by a CA we trust: set HOTFIX_TEMPORAL_TLS_CA to its CA's "
        "PEM file",
    ),
    (
        "NotValidForName",
        "the server's certificate does not carry the host of HOTFIX_TEMPORAL_ADDRESS: set "
        "HOTFIX_TEMPORAL_TLS_SERVER_NAME to the name it carries",
    ),
    ("InvalidContentType", "the server does not speak TLS: unset HOTFIX_TEMPORAL_TLS and the TLS settings"),
    ("Expired", "the certificate has expired"),
]


def explain(error_text: str, security: Security) -> str | None:
    """One clause for a TLS failure in `error_text`, or None when it is not one we know."""
    for marker, hint in _TLS_HINTS:
        if marker in error_text:
            return hint
    # A server that refuses the client's certificate (or its absence) ends the session: TLS 1.3 shows
    # it as an alert, a close without close_notify, a reset, or (on a loaded machine) the handshake
    # cancelled or broken under the client, depending on timing.
    markers = (
        "close_notify",
        "hyper::Error(Canceled",
        "hyper::Error(Io",
        "CertificateRequired",
        "BadCertificate",
        "ConnectionReset",
        "ConnectionAborted",
    )
    closed = any(marker in error_text for marker in markers)
    if security.tls is not False and closed:
        has_cert = isinstance(security.tls, TLSConfig) and security.tls.client_cert
        return (
            "the server refused the TLS session: it may not accept the client certificate "
            "(HOTFIX_TEMPORAL_TLS_CERT) or its CA"
            if has_cert
            else "the server refused the TLS session: it probably requires a client certificate "
            "(HOTFIX_TEMPORAL_TLS_CERT and HOTFIX_TEMPORAL_TLS_KEY)"
        )
    if security.tls is False and ("broken pipe" in error_text or "transport error" in error_text):
        return "the connection broke at once: if the server requires TLS, set HOTFIX_TEMPORAL_TLS=true"
    return None
