"""The Typer app: every command registered once, in the order `--help` lists them, and main().

The commands live in modules named for what they do (start, watching, signals, doctor); they know
nothing of the app, so this module imports them and no module of cli/ imports this one.
"""

from __future__ import annotations

import os
import sys

import typer

from cli import doctor, signals, start, watching

app = typer.Typer(
    help="Start, watch, nudge and stop hotfixes: the team's hotfix runbook as a durable Temporal "
    "workflow.\n\nExit codes: 0 ok, 1 the operation failed, 2 bad usage.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts show `[default: $X]` literally, not as Rich markup.
    rich_markup_mode=None,
)

app.command()(start.start)
app.command()(watching.status)
app.command()(watching.watch)
app.command("list")(watching.list_)
app.command("changes-ready")(signals.changes_ready)
app.command()(signals.recheck)
app.command("retry-deploy")(signals.retry_deploy)
app.command()(signals.abort)
app.command()(doctor.doctor)


def main() -> None:
    try:
        app()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Leave without interpreter finalization: the SDK's native threads may still call back into
    # Python while it shuts down, which can abort the process (exit 134) after the work is done.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
