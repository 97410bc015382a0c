"""What every command shares: the settings it runs with (Ctx), its errors and exit codes, its output.

Exit codes: 0 ok, 1 the operation failed, 2 bad usage. Errors are one line on stderr (and, with
--json, a JSON object on stdout too).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from hotfix.models import ProcessSettings
from hotfix.settings import ProcessDefaults, TemporalSettings
from service.security import Security, SecurityProblem
from service.temporal import TemporalUnavailable, connect, workflow_url

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

T = TypeVar("T")


class CliError(Exception):
    """An expected failure: printed as one line, exits with `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Ctx:
    """The Temporal settings of one command (HOTFIX_* with the command line's overrides) and --json."""

    settings: TemporalSettings
    json: bool
    # --repository of the commands that take a hotfix's ID: for an ID given as DAY_slug or PR number.
    repository: str | None = None
    security: Security = field(default_factory=Security)

    @property
    def address(self) -> str:
        return self.settings.temporal_address

    @property
    def namespace(self) -> str:
        return self.settings.temporal_namespace

    def url(self, workflow_id: str) -> str:
        return workflow_url(self.settings.ui_url, self.namespace, workflow_id)

    async def client(self) -> Client:
        return await connect(self.address, self.namespace, security=self.security)

    def fail(self, err: CliError) -> NoReturn:
        fail(err, self.json)


def settings_error(err: ValidationError) -> CliError:
    first = err.errors()[0]
    field = "HOTFIX_" + "_".join(str(p) for p in first["loc"]).upper()
    return CliError(f"invalid setting {field}: {first['msg']}", EXIT_USAGE)


def process_settings(ui_url: str, namespace: str) -> ProcessSettings:
    """The HOTFIX_ process settings a new hotfix, rollback or doctor run carries (CliError code 2 if bad)."""
    try:
        return ProcessDefaults().process(ui_base_url=ui_url, namespace=namespace)
    except ValidationError as err:
        raise settings_error(err) from None


def make_ctx(address: str | None, namespace: str | None, task_queue: str | None, as_json: bool) -> Ctx:
    try:
        settings = TemporalSettings()
    except ValidationError as err:
        fail(settings_error(err), as_json)
    overrides = {
        key: value
        for key, value in (
            ("temporal_address", address),
            ("temporal_namespace", namespace),
            ("task_queue", task_queue),
        )
        if value
    }
    try:
        security = Security.from_settings(settings)
    except SecurityProblem as err:
        fail(CliError(str(err), EXIT_USAGE), as_json)
    return Ctx(settings=settings.model_copy(update=overrides), json=as_json, security=security)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(err: CliError, as_json: bool) -> NoReturn:
    """Print the error as one line (and as JSON on stdout with --json) and exit with its code."""
    message = one_line(err.message)
    typer.echo(f"error: {message}", err=True)
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": message, "exit_code": err.code}))
    raise typer.Exit(err.code)


def run(ctx: Ctx, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one async command, mapping every expected failure to one line and an exit code."""
    try:
        return asyncio.run(make())
    except CliError as err:
        ctx.fail(err)
    except TemporalUnavailable as err:
        ctx.fail(CliError(str(err)))
    except RPCError as err:
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            message = f"the Temporal server at {ctx.address} stopped answering ({err.message})"
        else:
            message = f"Temporal refused the request: {err.message}"
        ctx.fail(CliError(message))
    except Exception as err:  # an unexpected bug still gets one line, unless asked for more
        if os.environ.get("HOTFIX_DEBUG"):
            raise
        ctx.fail(CliError(f"unexpected {type(err).__name__}: {err} (set HOTFIX_DEBUG=1 for the traceback)"))


def print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=_json_default))


def _json_default(value: Any) -> str:
    """Times as ISO 8601 in UTC (`...Z`), as pydantic writes the status's; anything else as text."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
