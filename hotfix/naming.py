"""Branch names, slugs and workflow IDs: the one place that decides what things are called.

Pure functions, safe to call from workflow code.
"""

from __future__ import annotations

import re
from datetime import date

SLUG_MAX = 40
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


def slugify(description: str) -> str:
    """Lower-case `a-z0-9-`, at most 40 characters, never empty, always a valid git ref component."""
    slug = re.sub(r"[^a-z0-9]+", "-", description.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    if not slug:
        raise NamingError(f"description must contain at least one letter or digit, got {description!r}")
    return slug


def hotfix_key(day: date, description: str) -> str:
    return f"{day.isoformat()}_{slugify(description)}"


def prod_branch(prefix: str, day: date, description: str) -> str:
    return f"{prefix}{hotfix_key(day, description)}"


def work_branch(prefix: str, day: date, description: str) -> str:
    return f"{prefix}{hotfix_key(day, description)}"


def workflow_id(repository: str, day: date, description: str) -> str:
    owner, name = parse_repository(repository)
    return f"hotfix/{owner}/{name}/{hotfix_key(day, description)}"


def lane_workflow_id(repository: str) -> str:
    """One lane per repository serialises its hotfixes (the runbook's 'several hotfixes' rule)."""
    owner, name = parse_repository(repository)
    return f"hotfix-lane/{owner}/{name}"
