"""Settings from the environment (prefix `HOTFIX_`) or a `.env` file.

Only the worker's activities read the GitHub credentials (a token, or a GitHub App's id and private
key); they never enter workflow input or history.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hotfix.models import ProcessSettings


class TemporalSettings(BaseSettings):
    """What the starter and the worker need to reach Temporal."""

    model_config = SettingsConfigDict(env_prefix="HOTFIX_", env_file=".env", extra="ignore")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "hotfix"
    ui_url: str = "http://localhost:8233"
    # How the connection is secured (service/security.py reads the files). TLS unset: on when an API
    # key or a client certificate is given, off otherwise (a plaintext local server).
    temporal_tls: bool | None = None
    # PEM files: the client certificate and its key (mTLS), the CA that signed the server's certificate
    # (unset: the system's roots, as for Temporal Cloud).
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    # The name the server's certificate carries, when it is not the host in HOTFIX_TEMPORAL_ADDRESS
    # (an IP address, a load balancer); also sent as SNI.
    temporal_tls_server_name: str | None = None
    # Temporal Cloud's API key: sent as `Authorization: Bearer`, never logged or put in history.
    temporal_api_key: SecretStr | None = None
    # `start` refuses a hotfix without `--incident` (the team's policy for emergency changes).
    require_incident: bool = False

    @field_validator(
        "temporal_tls",
        "temporal_tls_cert",
        "temporal_tls_key",
        "temporal_tls_ca",
        "temporal_tls_server_name",
        "temporal_api_key",
        mode="before",
    )
    @classmethod
    def _blank_temporal_is_unset(cls, value: object) -> object:
        # `HOTFIX_TEMPORAL_TLS_CA=` in a .env means "not set".
        return None if isinstance(value, str) and not value.strip() else value


class WorkerSettings(TemporalSettings):
    """The worker's settings: Temporal plus GitHub. The token is a secret and stays in the worker."""

    github_url: str = "http://127.0.0.1:8765/api/v3"
    # Exactly one way of credentials: a token (a machine user's), or a GitHub App (id + private key,
    # installation found per repository unless given). activities/github/auth.py checks them.
    github_token: SecretStr | None = None
    github_app_id: str | None = None
    github_app_private_key: SecretStr | None = None
    github_app_private_key_file: Path | None = None
    github_app_installation_id: int | None = Field(default=None, ge=1)
    # PyGithub's own in-process wait on rate limits; longer waits are Temporal retries.
    github_max_rate_limit_wait: float = 5.0
    github_timeout: float = 15.0
    # GitHub's advice: one write at a time per token, this many seconds apart (0: back to back).
    github_write_interval: float = Field(default=1.0, ge=0)
    # Threads for blocking GitHub calls (PyGithub); the connection pool holds as many connections.
    github_threads: int = Field(default=16, ge=1, le=512)
    # Backpressure (service/backpressure.py): the worker takes no new activity from Temporal while
    # this many activity bodies wait for a GitHub thread; a burst waits in Temporal's task queue,
    # where no timeout counts it, instead of inside the worker's activities.
    github_backlog: int = Field(default=16, ge=1)
    # Activities running at once. Polling waits hold a slot but no thread while they sleep, so a
    # worker holding N waiting hotfixes needs somewhat more than N (half of them poll, lanes probe).
    max_concurrent_activities: int = Field(default=2000, ge=1)
    # Workflows kept in memory; an evicted one is replayed from history when it next has work.
    max_cached_workflows: int = Field(default=2500, ge=0)
    # Prometheus metrics, ours and the SDK's, on one page: GET /metrics (service/metrics.py).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Seconds between two counts of the hotfixes by step (Temporal visibility, one count per step).
    metrics_refresh: float = Field(default=15.0, gt=0)
    # The liveness endpoint (GET /healthz) on all interfaces; None: none. See service/health.py.
    health_port: int | None = None
    # Seconds the event loop may stay unturned (or polls overdue) before the health check fails.
    stuck_after: float = Field(default=20.0, gt=0)
    # Seconds stuck before the worker ends itself (exit 3) to be restarted; None: only report it.
    exit_when_stuck: float | None = Field(default=None, gt=0)
    # SIGTERM: running activities get this long; then the process exits, frozen or not.
    shutdown_grace: float = Field(default=30.0, gt=0)
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")
    # HOTFIX_WEBHOOKS: GitHub's webhooks reach the receiver (webhooks.py), which nudges the hotfixes;
    # polls are then only the safety net, HOTFIX_WEBHOOK_POLL_INTERVAL seconds apart at least
    # (instead of the hotfix's poll interval, 30 s by default).
    webhooks: bool = False
    webhook_poll_interval: float = Field(default=300.0, gt=0)
    # Chat targets told at each human wait (activities/notify.py): Apprise URLs, comma-separated
    # (slack://..., msteams://..., mmost://..., mailto://..., json://...). Secret: they carry tokens.
    notify_urls: SecretStr | None = None

    @property
    def notify_targets(self) -> list[str]:
        text = self.notify_urls.get_secret_value() if self.notify_urls else ""
        return [part.strip() for part in text.split(",") if part.strip()]

    @property
    def poll_safety_net(self) -> timedelta | None:
        return timedelta(seconds=self.webhook_poll_interval) if self.webhooks else None

    @field_validator("github_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                "HOTFIX_GITHUB_URL must be an http(s) URL such as https://github.example.com/api/v3 "
                f"(GHES) or https://api.github.com, got {value!r}"
            )
        return value.rstrip("/")

    @field_validator(
        "github_app_private_key", "github_app_private_key_file", "github_app_installation_id", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `HOTFIX_GITHUB_APP_INSTALLATION_ID=` in a .env means "not set", as .env.example leaves it.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("github_app_id", mode="before")
    @classmethod
    def _app_id(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if not text.isdigit():
            raise ValueError(
                "HOTFIX_GITHUB_APP_ID must be the App's numeric id (the App's settings page, 'App ID'), "
                f"got {text[:40]!r}"
            )
        return text


class WebhookSettings(TemporalSettings):
    """webhooks.py: where GitHub delivers, and the secret it signs with. No GitHub credentials."""

    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8787, ge=1, le=65535)
    webhook_secret: SecretStr
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("HOTFIX_WEBHOOK_SECRET is empty: set the secret the App's webhook signs with")
        return value


class ProcessDefaults(BaseSettings, ProcessSettings):
    """Defaults for a hotfix's process settings, overridable per team with `HOTFIX_*`.

    The fields are ProcessSettings' own. Durations take ISO 8601 (`PT30S`, `P3D`), `HH:MM:SS`, or a
    plain number of seconds.
    """

    model_config = SettingsConfigDict(env_prefix="HOTFIX_", env_file=".env", extra="ignore", frozen=False)

    # HOTFIX_APPROVERS="prod-reviewer-1,acme/sre": comma-separated lists, not JSON.
    approvers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    pr_reviewers: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("approvers", "pr_reviewers", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _seconds(cls, value: object, info: ValidationInfo) -> object:
        # pydantic would read a bare "30" as 30 days; people mean seconds.
        duration = cls.model_fields[info.field_name or ""].annotation is timedelta
        if duration and isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return timedelta(seconds=float(value))
        return value

    def process(self, *, ui_base_url: str | None, namespace: str) -> ProcessSettings:
        # Where people watch comes from the Temporal settings, not from HOTFIX_UI_BASE_URL/NAMESPACE.
        fields = self.model_dump(exclude={"ui_base_url", "namespace"})
        return ProcessSettings(**fields, ui_base_url=ui_base_url, namespace=namespace)
