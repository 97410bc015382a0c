"""Repository rulesets: which apply to a branch, and the rules they carry, apart from classic protection.

A ruleset is GitHub's shape: `name`, `target` (branch), `enforcement` (active | evaluate |
disabled), `conditions.ref_name.include/exclude` (fnmatch patterns on the full ref name, or
`~DEFAULT_BRANCH` / `~ALL`), `rules` ([{type, parameters}]), `bypass_actors`. Only active rulesets
apply; `GET rules/branches/{branch}` lists their rules whether the branch exists or not.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.gitstore import HEADS
from sandbox.models.protection import matches
from sandbox.state import Record

PULL_REQUEST_DEFAULTS: Record = {
    "required_approving_review_count": 0,
    "dismiss_stale_reviews_on_push": False,
    "require_code_owner_review": False,
    "require_last_push_approval": False,
    "required_review_thread_resolution": False,
    "allowed_merge_methods": ["merge", "squash", "rebase"],
}
STATUS_CHECKS_DEFAULTS: Record = {"strict_required_status_checks_policy": False, "required_status_checks": []}
DEFAULTS = {"pull_request": PULL_REQUEST_DEFAULTS, "required_status_checks": STATUS_CHECKS_DEFAULTS}


def normalise(spec: dict[str, Any], repo: Record, ident: int, app_ids: dict[str, int]) -> Record:
    """A seeded ruleset as GitHub stores it: every rule's parameters complete, app slugs as ids."""
    rules = []
    for rule in spec.get("rules", []):
        kind = rule["type"]
        params = {**DEFAULTS.get(kind, {}), **(rule.get("parameters") or {})}
        if kind == "required_status_checks":
            params["required_status_checks"] = [
                _check(c, app_ids) for c in params.get("required_status_checks") or []
            ]
        rules.append({"type": kind, "parameters": params} if kind in DEFAULTS or params else {"type": kind})
    now = time.time()
    return {
        "id": ident,
        "name": spec.get("name", f"ruleset-{ident}"),
        "target": spec.get("target", "branch"),
        "source_type": "Repository",
        "source": repo["full_name"],
        "enforcement": spec.get("enforcement", "active"),
        "bypass_actors": list(spec.get("bypass_actors") or []),
        "conditions": spec.get("conditions") or {"ref_name": {"include": [], "exclude": []}},
        "rules": rules,
        "created_at": now,
        "updated_at": now,
    }


def _check(c: Any, app_ids: dict[str, int]) -> Record:
    if isinstance(c, str):
        return {"context": c}
    out: Record = {"context": c["context"]}
    integration = c.get("integration_id", c.get("app"))
    if integration is not None:
        out["integration_id"] = (
            app_ids.get(integration, integration) if isinstance(integration, str) else integration
        )
    return out


def _hits(pattern: str, repo: Record, branch: str) -> bool:
    if pattern == "~ALL":
        return True
    if pattern == "~DEFAULT_BRANCH":
        return branch == repo["default_branch"]
    return matches(pattern, HEADS + branch) or (not pattern.startswith("refs/") and matches(pattern, branch))


def applies(ruleset: Record, repo: Record, branch: str) -> bool:
    if ruleset.get("target", "branch") != "branch" or ruleset.get("enforcement") != "active":
        return False
    ref_name = (ruleset.get("conditions") or {}).get("ref_name") or {}
    include = ref_name.get("include") or []
    exclude = ref_name.get("exclude") or []
    return any(_hits(p, repo, branch) for p in include) and not any(_hits(p, repo, branch) for p in exclude)


def for_branch(repo: Record, branch: str) -> list[Record]:
    """The active branch rulesets whose conditions take in `branch` (which need not exist)."""
    return [rs for rs in repo.get("rulesets", []) if applies(rs, repo, branch)]


def rules_for(repo: Record, branch: str) -> list[tuple[Record, Record]]:
    """(ruleset, rule) for every rule that applies to `branch`, in ruleset order."""
    return [(rs, rule) for rs in for_branch(repo, branch) for rule in rs["rules"]]


def find(repo: Record, ruleset_id: str) -> Record | None:
    return next((rs for rs in repo.get("rulesets", []) if str(rs["id"]) == ruleset_id), None)
