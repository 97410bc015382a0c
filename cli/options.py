"""The command line every command shares: --address, --namespace, --task-queue and --json (written once,
in `with_ctx`), the ID and OWNER/NAME arguments, and the checks of what a human typed.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import subprocess
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Concatenate, ParamSpec, cast

import typer

from cli.context import EXIT_USAGE, CliError, Ctx, make_ctx
from hotfix import naming

P = ParamSpec("P")

# A commit SHA as people type one (`--cherry-pick`): 7 to 40 hex digits.
SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")

# Options every command takes; unset ones come from HOTFIX_* settings (environment or .env).
Address = Annotated[
    str | None, typer.Option("--address", help="Temporal host:port [default: $HOTFIX_TEMPORAL_ADDRESS]")
]
Namespace = Annotated[
    str | None, typer.Option("--namespace", help="Temporal namespace [default: $HOTFIX_TEMPORAL_NAMESPACE]")
]
TaskQueue = Annotated[
    str | None, typer.Option("--task-queue", help="Worker task queue [default: $HOTFIX_TASK_QUEUE]")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, for scripts.")]


class ColorMode(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


Color = Annotated[
    ColorMode,
    typer.Option("--color", help="Colors: auto (on a terminal, unless $NO_COLOR is set), always or never."),
]
# Only on the commands that take a hotfix's ID.
IdRepository = Annotated[
    str | None,
    typer.Option(
        "--repository",
        metavar="OWNER/NAME",
        help="Whose hotfix, when ID is its DAY_slug or its pull request's number.",
    ),
]

# Arguments more than one command takes.
WorkflowId = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The hotfix: its workflow ID as `start` printed it (hotfix/OWNER/NAME/DAY_slug), its DAY_slug, "
        "its pull request's URL, or the PR's number with --repository.",
    ),
]
Repository = Annotated[str, typer.Argument(metavar="OWNER/NAME", help="The repository.")]

# After a command's own parameters, in this order, as the help lists them.
_SHARED = [
    inspect.Parameter("address", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Address),
    inspect.Parameter("namespace", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Namespace),
    inspect.Parameter("task_queue", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=TaskQueue),
    inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Json),
    inspect.Parameter("color", inspect.Parameter.KEYWORD_ONLY, default=ColorMode.AUTO, annotation=Color),
]
_ID_REPOSITORY = inspect.Parameter(
    "id_repository", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=IdRepository
)


def apply_color(mode: ColorMode | str) -> None:
    """--color for every Rich console of this process: Rich reads NO_COLOR and FORCE_COLOR."""
    if mode == ColorMode.NEVER:
        os.environ["NO_COLOR"] = "1"
        os.environ.pop("FORCE_COLOR", None)
    elif mode == ColorMode.ALWAYS:
        os.environ["FORCE_COLOR"] = "1"
        os.environ.pop("NO_COLOR", None)


def with_ctx(command: Callable[Concatenate[Ctx, P], None]) -> Callable[P, None]:
    """Give `command(ctx, ...)` the shared options: Typer sees the command's own parameters (all but
    `ctx`) followed by --address, --namespace, --task-queue and --json; the wrapper turns those four
    into the Ctx (settings errors exit 2) and calls the command with it.
    """
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]
    takes_id = any(param.name == "workflow_id" for param in own)

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        address, namespace, task_queue, as_json, color = [kwargs.pop(p.name, p.default) for p in _SHARED]
        apply_color(color)
        ctx = make_ctx(address, namespace, task_queue, as_json)
        repository = kwargs.pop(_ID_REPOSITORY.name, None)
        if repository is not None:
            try:
                ctx.repository = valid_repository(repository)
            except CliError as err:
                ctx.fail(err)
        command(ctx, *args, **kwargs)

    parameters = [*own, *([_ID_REPOSITORY] if takes_id else []), *_SHARED]
    # What Typer reads: this signature, and annotations that match it (not the wrapped function's).
    wrapper.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {param.name: param.annotation for param in parameters} | {"return": None}
    return cast(Callable[P, None], wrapper)


# ---------------------------------------------------------------------------------------------
# What a human typed, checked the same way by every command
# ---------------------------------------------------------------------------------------------


# A GitHub login: letters, digits and single dashes inside, at most 39 characters.
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
By = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="LOGIN",
        help="Your GitHub login, for the PRs and the record [default: $HOTFIX_USER, then `git config "
        "github.user`, then $USER].",
    ),
]


def _git_user() -> str | None:
    try:
        found = subprocess.run(
            ["git", "config", "github.user"], capture_output=True, text=True, timeout=2, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def current_user() -> str | None:
    """Who runs the CLI: HOTFIX_USER, then `git config github.user`, then the login name; None when
    nothing says (the hotfix then shows "not given", never a made-up name)."""
    return (
        os.environ.get("HOTFIX_USER", "").strip()
        or _git_user()
        or os.environ.get("USER")
        or os.environ.get("USERNAME")
        or None
    )


def acting_user(by: str | None) -> str | None:
    """`--by` if given (a GitHub login, else CliError code 2), or current_user()."""
    if by is None:
        return current_user()
    by = by.strip()
    if not LOGIN.match(by):
        raise CliError(f"--by takes a GitHub login (letters, digits, dashes), got {by[:60]!r}", EXIT_USAGE)
    return by


def valid_repository(value: str) -> str:
    """OWNER/NAME without surrounding blanks, or CliError code 2."""
    try:
        naming.parse_repository(value)
    except naming.NamingError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    return value.strip()


# An incident: a link to it, or its ticket key (INC-1234, OPS-77); it goes into both PR titles.
INCIDENT_URL = re.compile(r"^https?://[^\s<>\"'`]+$")
INCIDENT_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9]+$")
INCIDENT_MAX = 200


def valid_incident(incident: str | None, *, required: bool) -> str | None:
    """The incident as given, or CliError (code 2): a URL or a ticket key, or none unless required."""
    if incident is None or not incident.strip():
        if required:
            raise CliError(
                "--incident is required (HOTFIX_REQUIRE_INCIDENT=true): give the incident's URL or key",
                EXIT_USAGE,
            )
        return None
    incident = incident.strip()
    if len(incident) > INCIDENT_MAX or not (INCIDENT_URL.match(incident) or INCIDENT_KEY.match(incident)):
        raise CliError(
            "--incident takes the incident's URL (https://...) or a ticket key like INC-1234, "
            f"got {incident[:60]!r}",
            EXIT_USAGE,
        )
    return incident
