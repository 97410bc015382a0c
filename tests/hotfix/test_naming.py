"""Branch names, slugs and IDs: what the runbook calls things, and what git accepts."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from hotfix import naming

DAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("description", "slug"),
    [
        ("Fix login 500s", "fix-login-500s"),
        ("  Ümlaut & CAPS!! ", "umlaut-caps"),
        ("日本語の修正", "ri-ben-yu-no-xiu-zheng"),
        ("日本語 fix", "ri-ben-yu-fix"),
        ("Ошибка входа", "oshibka-vkhoda"),
        ("Fix login 🔥", "fix-login-fire"),
        ("a..b//c@{d}", "a-b-c-d"),
        ("x" * 60, "x" * 40),
        ("word " * 20, "word-word-word-word-word-word-word-word"),
    ],
)
def test_slug_is_lowercase_short_and_safe(description: str, slug: str) -> None:
    assert naming.slugify(description) == slug
    assert len(slug) <= naming.SLUG_MAX


@pytest.mark.parametrize("description", ["", "   ", "!!! ---", "—·—"])
def test_empty_or_all_symbol_description_is_refused(description: str) -> None:
    with pytest.raises(naming.NamingError, match="at least one letter or digit"):
        naming.slugify(description)


def test_hotfixes_started_without_a_slug_keep_their_ascii_names() -> None:
    # Requests from before transliteration carry no slug: their branches were named this way.
    assert naming.work_branch("hotfix/", DAY, "日本語 fix") == "hotfix/2026-11-23_fix"
    assert naming.work_branch("hotfix/", DAY, "日本語 fix", naming.slugify("日本語 fix")) == (
        "hotfix/2026-11-23_ri-ben-yu-fix"
    )
    with pytest.raises(naming.NamingError):
        naming.ascii_slug("ü")


def test_branch_names_and_workflow_id_follow_the_runbook() -> None:
    assert naming.prod_branch("prod/hotfix/", DAY, "Fix login") == "prod/hotfix/2026-11-23_fix-login"
    assert naming.work_branch("hotfix/", DAY, "Fix login") == "hotfix/2026-11-23_fix-login"
    assert (
        naming.workflow_id("acme/gaia-gateway", DAY, "Fix login")
        == "hotfix/acme/gaia-gateway/2026-11-23_fix-login"
    )
    assert naming.lane_workflow_id("acme/gaia-gateway") == "hotfix-lane/acme/gaia-gateway"


@pytest.mark.parametrize(
    "description", ["Fix: login?", "a" * 100, "...lead", "end.lock", "@{x}", "two  spaces"]
)
def test_branch_names_are_valid_git_refs(description: str) -> None:
    for branch in (
        naming.prod_branch("prod/hotfix/", DAY, description),
        naming.work_branch("hotfix/", DAY, description),
    ):
        check = subprocess.run(
            ["git", "check-ref-format", "--branch", branch], capture_output=True, text=True
        )
        assert check.returncode == 0, (branch, check.stderr)


@pytest.mark.parametrize("repository", ["acme", "acme/", "/repo", "a/b/c", "ac me/repo", "acme/repo.git", ""])
def test_malformed_repository_is_refused(repository: str) -> None:
    with pytest.raises(naming.NamingError, match="OWNER/NAME"):
        naming.parse_repository(repository)


def test_repository_is_split() -> None:
    assert naming.parse_repository(" acme/gaia-gateway ") == ("acme", "gaia-gateway")
