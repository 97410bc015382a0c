"""webhooks.py: receives GitHub's webhooks and nudges the running hotfixes they concern (receiver/).

It faces the network and holds no GitHub credentials: only the webhook secret and a Temporal client.
Settings: HOTFIX_WEBHOOK_HOST (0.0.0.0), HOTFIX_WEBHOOK_PORT (8787), HOTFIX_WEBHOOK_SECRET (required),
and the Temporal ones. POST /github/webhook, GET /healthz, GET /metrics.
Exit codes: 0 stopped, 1 Temporal unreachable, 2 bad settings.
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from pydantic import ValidationError

from hotfix.settings import WebhookSettings
from receiver.app import make_app
from receiver.temporal import Hotfixes
from service import logs as hotfix_logging
from service.security import Security, SecurityProblem
from service.temporal import TemporalUnavailable, connect


def load_settings() -> WebhookSettings:
    try:
        return WebhookSettings()  # type: ignore[call-arg]  # the secret comes from the environment
    except ValidationError as err:
        first = err.errors()[0]
        field = "HOTFIX_" + "_".join(str(part) for part in first["loc"]).upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        print(f"error: invalid {field}: {message}", file=sys.stderr)
        sys.exit(2)


async def serve(settings: WebhookSettings) -> None:
    # The same TLS/mTLS/API-key settings as the starter and the worker (service/security.py).
    client = await connect(
        settings.temporal_address, settings.temporal_namespace, security=Security.from_settings(settings)
    )
    hotfixes = Hotfixes(client)
    app = make_app(settings.webhook_secret.get_secret_value().encode(), hotfixes.running, hotfixes.nudge)
    config = uvicorn.Config(
        app, host=settings.webhook_host, port=settings.webhook_port, log_level="warning", access_log=False
    )
    await uvicorn.Server(config).serve()


def main() -> None:
    hotfix_logging.configure()
    settings = load_settings()
    hotfix_logging.configure(settings.log_format)
    try:
        asyncio.run(serve(settings))
    except TemporalUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except SecurityProblem as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
