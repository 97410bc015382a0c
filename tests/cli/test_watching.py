"""`status`, `watch` and `list` (cli/watching.py): `list` takes only the steps there are.

Status, watch and list against a server are specified with the commands that lead there: after
`start` (test_start.py) and after a signal (test_signals.py).
"""

from __future__ import annotations

from tests.cli.support import invoke


def test_list_refuses_an_unknown_step() -> None:
    result = invoke(["list", "--step", "lunch"])
    assert result.exit_code == 2
