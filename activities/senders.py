"""Who sent each decision, as the change record on GitHub names them.

A decision's `by` is what its sender typed (the CLI checks only that it looks like a login; the UI
sends anything), and the signals' lines go into the record that is left on the hotfix PR. Before they
are written there, each name is looked up on GitHub once: a name that is no GitHub user is marked so,
never passed off as someone's identity.
"""

from __future__ import annotations

import re

from activities.github.rest import RepoApi
from activities.github.users import is_user
from hotfix.render import NOT_GIVEN, WEBHOOK_SENDER

# "HH:MM:SS signal, by WHO" (workflows/payloads.py), maybe followed by a note in parentheses.
SENT_BY = re.compile(r", by (?P<who>.+?)(?= \(no payload| \(and \d+ earlier|$)")
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?")
NOT_A_USER = " (no GitHub user)"
# The receiver's rechecks name an event and a delivery, not a person: said so, not looked up (anyone
# may type the same in the UI; a recheck only makes the hotfix look at GitHub again).
A_WEBHOOK = " (a webhook's nudge, no person)"


def checked_senders(api: RepoApi, signals: list[str]) -> list[str]:
    """`signals` with every sender that is no GitHub user marked; one lookup per distinct name."""
    known: dict[str, bool] = {}
    out: list[str] = []
    for line in signals:
        match = SENT_BY.search(line)
        if match is None or match.group("who") == NOT_GIVEN:
            out.append(line)
            continue
        who = match.group("who")
        if who.startswith(WEBHOOK_SENDER + " "):
            out.append(line[: match.end()] + A_WEBHOOK + line[match.end() :])
            continue
        if who not in known:
            known[who] = LOGIN.fullmatch(who) is not None and is_user(api, who)
        out.append(line if known[who] else line[: match.end()] + NOT_A_USER + line[match.end() :])
    return out
