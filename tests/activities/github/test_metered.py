"""GitHub answers are counted by route template: few labels, never a branch, a path or a number."""

from __future__ import annotations

import pytest

from activities.github.metered import route_template


@pytest.mark.parametrize(
    ("url", "template"),
    [
        ("/api/v3/repos/acme/gw/pulls/12/merge?x=1", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
        ("/repos/acme/gw/git/refs/heads/hotfix/2026-11-23_x", "/repos/{owner}/{repo}/git/refs/{ref}"),
        ("/repos/acme/gw/git/refs", "/repos/{owner}/{repo}/git/refs"),
        (
            "/repos/acme/gw/branches/prod/hotfix/2026-11-23_status/protection",
            "/repos/{owner}/{repo}/branches/{branch}/protection",
        ),
        (
            "/repos/a/b/actions/workflows/deploy.yml/dispatches",
            "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
        ),
        ("/repos/a/b/compare/main...hotfix/x", "/repos/{owner}/{repo}/compare/{basehead}"),
        ("/repos/a/b/contents/.github/workflows/deploy.yml", "/repos/{owner}/{repo}/contents/{path}"),
        ("/repos/a/b/actions/permissions/workflow", "/repos/{owner}/{repo}/actions/permissions/workflow"),
        ("/app/installations/3/access_tokens", "/app/installations/{installation_id}/access_tokens"),
        ("/orgs/acme/teams/sre/memberships/bob", "/orgs/{org}/teams/{team_slug}/memberships/{username}"),
        ("http://127.0.0.1:5/api/v3/repos/a/b", "/repos/{owner}/{repo}"),
        ("/user", "/user"),
    ],
)
def test_route_templates(url: str, template: str) -> None:
    assert route_template(url) == template
