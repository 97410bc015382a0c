"""Every answer GitHub gives the worker, counted by route template and status (service/metrics.py).

PyGithub sends every request through its Requester's connection class; `meter(github)` swaps that
class, on the Github's own Requester before any copy is made (client.py copies it per thread), for a
subclass that counts what `getresponse()` returns. PyGithub is pinned (pyproject.toml), and
tests/integration/test_observability.py scrapes the counts a hotfix makes, so a PyGithub that
renamed the attribute fails a test rather than silently counting nothing. An answer PyGithub's urllib3
retry waited out (a 502 retried at once) counts once, by its final status.

Route templates keep the metric's labels few: a segment is kept if it is one of GitHub's resource
words below, else it becomes a placeholder named for the word before it, and several unknown segments
in a row (a branch `hotfix/2026-12-02_fix`) become one.
"""

from __future__ import annotations

import re
from typing import Any

from github import Github
from github.Requester import Requester

from service.metrics import github_answer

_WORDS = frozenset(
    "repos orgs users user app installation installations access_tokens rate_limit graphql teams members "
    "memberships pulls issues comments reviews requested_reviewers merge merges git refs ref matching-refs "
    "commits trees blobs tags branches protection rules rulesets actions workflows runs dispatches "
    "pending_deployments approvals rerun rerun-failed-jobs cancel jobs deployments statuses status "
    "environments deployment-branch-policies check-runs check-suites compare contents collaborators "
    "permission labels assignees hooks required_status_checks required_pull_request_reviews "
    "enforce_admins restrictions files permissions workflow secrets variables artifacts logs attempts "
    "timing events releases latest keys".split()
)
_PLACEHOLDER = {
    "repos": "{owner}",
    "orgs": "{org}",
    "users": "{username}",
    "teams": "{team_slug}",
    "memberships": "{username}",
    "pulls": "{pull_number}",
    "issues": "{issue_number}",
    "comments": "{comment_id}",
    "reviews": "{review_id}",
    "refs": "{ref}",
    "ref": "{ref}",
    "matching-refs": "{ref}",
    "commits": "{ref}",
    "trees": "{tree_sha}",
    "branches": "{branch}",
    "runs": "{run_id}",
    "workflows": "{workflow_id}",
    "jobs": "{job_id}",
    "deployments": "{deployment_id}",
    "statuses": "{sha}",
    "environments": "{environment_name}",
    "compare": "{basehead}",
    "contents": "{path}",
    "collaborators": "{username}",
    "installations": "{installation_id}",
    "check-runs": "{check_run_id}",
}
_API_ROOT = re.compile(r"^.*?(?=/(repos|orgs|users|user|app|installation|rate_limit|graphql)(/|$))")


def route_template(url: str) -> str:
    """`/api/v3/repos/acme/gw/pulls/12/merge?x=1` -> `/repos/{owner}/{repo}/pulls/{pull_number}/merge`."""
    path = url.split("?", 1)[0]
    path = re.sub(r"^https?://[^/]+", "", path)
    path = _API_ROOT.sub("", path, count=1)
    parts: list[str] = []
    segments = [s for s in path.split("/") if s]
    if segments[:1] == ["repos"] and len(segments) >= 3:
        parts, segments = ["repos", "{owner}", "{repo}"], segments[3:]
    for segment in segments:
        if parts[-1:] == ["{path}"]:
            continue  # a file's path may hold any word: `contents/.github/workflows/deploy.yml`
        if segment in _WORDS:
            parts.append(segment)
        elif parts and parts[-1].startswith("{") and parts[-1] != "{repo}":
            continue  # one placeholder for a multi-segment value (a branch, a ref, a path)
        else:
            parts.append(_PLACEHOLDER.get(parts[-1] if parts else "", "{id}"))
    return "/" + "/".join(parts)


def _metered(base: type) -> type:
    class Metered(base):
        def getresponse(self) -> Any:
            try:
                response = super().getresponse()
            except Exception:
                github_answer(self.verb, route_template(self.url), "error")
                raise
            github_answer(self.verb, route_template(self.url), response.status, response.headers)
            return response

    Metered.__name__ = f"Metered{base.__name__}"
    return Metered


def meter(github: Github) -> Github:
    """Count the answers of `github`'s requests (and of every copy of its Requester made later)."""
    requester: Requester = github.requester
    attribute = "_Requester__connectionClass"
    current = getattr(requester, attribute)
    if not current.__name__.startswith("Metered"):
        setattr(requester, attribute, _metered(current))
    return github
