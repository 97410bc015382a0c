"""Branch names, slugs and workflow IDs: the one place that decides what things are called.

Pure functions, safe to call from workflow code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from anyascii import anyascii

from hotfix.models import HotfixRequest, HotfixStatus

SLUG_MAX = 40
# The memo key under which a running hotfix keeps its status (workflows/payloads.py), so `status` is
# read from Temporal without asking a worker (cli/lookup.py).
STATUS_MEMO = "status"
_SYLLABIC = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


class NamingError(ValueError):
    """Bad user input for a name; the message is meant to be shown as it is."""


def parse_repository(repository: str) -> tuple[str, str]:
    """Split `owner/name`, refusing anything GitHub would not accept as a repository."""
    value = repository.strip()
    if not _REPO_RE.match(value) or value.endswith((".git", "/.", "/..")):
        raise NamingError(
            f"repository must look like OWNER/NAME (e.g. acme/gaia-gateway), got {repository!r}"
        )
    owner, name = value.split("/", 1)
    return owner, name


def ascii_slug(description: str) -> str:
    """Lower-case `a-z0-9-`, at most 40 characters, never empty, always a valid git ref component.

    Anything but ASCII letters and digits is dropped: the slug of hotfixes whose request carries no
    slug of its own (started before slugs were transliterated), so their names never change.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", description.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    if not slug:
        raise NamingError(f"description must contain at least one letter or digit, got {description!r}")
    return slug


def transliterate(text: str) -> str:
    """ASCII for any script ("Ошибка входа" -> "Oshibka vkhoda"); each CJK character becomes a word of
    its own ("日本語" -> "Ri Ben Yu"), since those scripts write words without spaces."""
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        latin = anyascii(char)
        spaced = unicodedata.name(char, "").startswith(_SYLLABIC)
        out.append(f" {latin} " if spaced else latin)
    return "".join(out)


def slugify(description: str) -> str:
    """The slug of a new hotfix: `ascii_slug` of the transliterated description, so a description in
    any language keeps its words ("日本語 fix" -> "ri-ben-yu-fix", not "fix")."""
    return ascii_slug(transliterate(description))


def hotfix_key(day: date, description: str, slug: str | None = None) -> str:
    return f"{day.isoformat()}_{slug or ascii_slug(description)}"


def prod_branch(prefix: str, day: date, description: str, slug: str | None = None) -> str:
    return f"{prefix}{hotfix_key(day, description, slug)}"


def work_branch(prefix: str, day: date, description: str, slug: str | None = None) -> str:
    return f"{prefix}{hotfix_key(day, description, slug)}"


def workflow_id(repository: str, day: date, description: str, slug: str | None = None) -> str:
    owner, name = parse_repository(repository)
    return f"hotfix/{owner}/{name}/{hotfix_key(day, description, slug)}"


def rollback_workflow_id(repository: str, day: date, slug: str) -> str:
    owner, name = parse_repository(repository)
    return f"rollback/{owner}/{name}/{day.isoformat()}_{slug}"


def rollback_branch(prefix: str, day: date, slug: str) -> str:
    """The branch a rollback deploys when the target deployment's ref has moved on: made at its commit,
    under the prod prefix so the environment's branch rules let it deploy as a hotfix's would."""
    return f"{prefix}{day.isoformat()}_rollback-{slug}"


def lane_workflow_id(repository: str) -> str:
    """One lane per repository serialises its hotfixes (the runbook's 'several hotfixes' rule)."""
    owner, name = parse_repository(repository)
    return f"hotfix-lane/{owner}/{name}"


def initial_status(request: HotfixRequest, workflow_id: str) -> HotfixStatus:
    """The status a hotfix starts with: the workflow's first state, and the memo the starter gives it."""
    settings = request.settings
    return HotfixStatus(
        workflow_id=workflow_id,
        repository=request.repository,
        description=request.description,
        requested_by=request.requested_by,
        work_branch=work_branch(settings.work_branch_prefix, request.day, request.description, request.slug),
        prod_branch=prod_branch(settings.prod_branch_prefix, request.day, request.description, request.slug),
    )
