"""The Typer app: every command registered once, in the order `--help` lists them, and main().

The commands live in modules named for what they do (start, watching, signals, doctor); they know
nothing of the app, so this module imports them and no module of cli/ imports this one.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from typing import Annotated

import typer

# Typer 0.29 parses with its own copy of Click (typer._click, pinned with typer); its exceptions are
# those, not the `click` package's.
from typer import Abort
from typer._click.exceptions import ClickException, UsageError

from cli import doctor, record, rollback, signals, start, watching
from cli.context import EXIT_USAGE, one_line

app = typer.Typer(
    help="Start, watch, nudge and stop hotfixes: the team's hotfix runbook as a durable Temporal "
    "workflow.\n\nExit codes: 0 ok, 1 the operation failed, 2 bad usage.",
    no_args_is_help=True,
    # Typer's --install-completion / --show-completion (bash, zsh, fish, PowerShell).
    add_completion=True,
    pretty_exceptions_enable=False,
    # Help texts show `[default: $X]` literally, not as Rich markup.
    rich_markup_mode=None,
)


def version() -> str:
    try:
        return importlib.metadata.version("hotfix-orchestrator")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"hotfix {version()}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Start, watch, nudge and stop hotfixes."""


app.command()(start.start)
app.command()(watching.status)
app.command()(watching.watch)
app.command("list")(watching.list_)
app.command("changes-ready")(signals.changes_ready)
app.command()(signals.recheck)
app.command("retry-deploy")(signals.retry_deploy)
app.command()(signals.abort)
app.command()(doctor.doctor)
app.command()(record.record)
app.command()(rollback.rollback)


def usage_error(err: UsageError, argv: list[str]) -> int:
    """Click's usage message for people; under --json, one line on stderr and a JSON object on stdout,
    as every other failure gives."""
    if "--json" not in argv:
        err.show()
        return err.exit_code
    message = one_line(err.format_message())
    command = err.ctx.command_path if err.ctx else None
    typer.echo(f"error: {message}", err=True)
    typer.echo(json.dumps({"ok": False, "error": message, "exit_code": EXIT_USAGE, "usage": command}))
    return EXIT_USAGE


def main() -> None:
    try:
        done = app(standalone_mode=False)
        code = done if isinstance(done, int) else 0
    except UsageError as err:
        code = usage_error(err, sys.argv[1:])
    except ClickException as err:
        err.show()
        code = err.exit_code
    except Abort:
        typer.echo("Aborted!", err=True)
        code = 1
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Leave without interpreter finalization: the SDK's native threads may still call back into
    # Python while it shuts down, which can abort the process (exit 134) after the work is done.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
