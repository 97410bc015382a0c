"""Classic branch protection and environment branch policies: GitHub's fnmatch patterns, what a rule requires.

Rulesets are apart (`sandbox.models.rulesets`); what a merge needs from both is `sandbox.models.gate`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sandbox.models import globs
from sandbox.state import Record


@lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    # GitHub matches like Ruby's File.fnmatch with FNM_PATHNAME: '*' stops at '/', '**' does not.
    return re.compile(globs.translate(glob))


def matches(glob: str, name: str) -> bool:
    return _pattern(glob).fullmatch(name) is not None


def normalise(spec: dict[str, Any], app_ids: dict[str, int]) -> Record:
    """A seeded classic rule, complete: PR reviews, required status checks (with the app each needs)."""
    count = int(spec.get("required_approving_review_count", 0))
    checks = spec.get("required_status_checks")
    status_checks: Record | None = None
    if checks:
        if isinstance(checks, list):
            checks = {"checks": checks}
        listed = [*checks.get("checks", []), *({"context": c} for c in checks.get("contexts", []))]
        status_checks = {
            "strict": bool(checks.get("strict", False)),
            "checks": [_check(c, app_ids) for c in listed],
        }
    return {
        "pattern": spec["pattern"],
        "required_pull_request": bool(spec.get("required_pull_request", count > 0)),
        "required_approving_review_count": count,
        "dismiss_stale_reviews": bool(spec.get("dismiss_stale_reviews", False)),
        "require_code_owner_reviews": bool(spec.get("require_code_owner_reviews", False)),
        "require_last_push_approval": bool(spec.get("require_last_push_approval", False)),
        "required_status_checks": status_checks,
        "enforce_admins": bool(spec.get("enforce_admins", False)),
    }


def _check(c: Any, app_ids: dict[str, int]) -> Record:
    if isinstance(c, str):
        return {"context": c, "app_id": None}
    app = c.get("app_id", c.get("app"))
    return {"context": c["context"], "app_id": app_ids.get(app, None) if isinstance(app, str) else app}


def rule_for(repo: Record, branch: str) -> Record | None:
    """The classic rule GitHub applies: an exact name first, else the oldest matching pattern."""
    rules = repo["protection"]
    exact = next((r for r in rules if r["pattern"] == branch), None)
    return exact or next((r for r in rules if matches(r["pattern"], branch)), None)


def review_count(rule: Record) -> int:
    return int(rule.get("required_approving_review_count", 0))


def requires_pull_request(rule: Record) -> bool:
    """Whether merging needs a pull request with reviews (implied by a review count above 0)."""
    return bool(rule.get("required_pull_request", review_count(rule) > 0))


def required_checks(rule: Record) -> list[Record]:
    """[{context, app_id}] the rule requires (app_id None: any reporter)."""
    checks = rule.get("required_status_checks")
    if isinstance(checks, list):  # a state written before checks named their app
        return [{"context": c, "app_id": None} for c in checks]
    return list((checks or {}).get("checks") or [])


def env_allows(env: Record, branch: str | None) -> bool:
    policies = env.get("branch_policies")
    if not policies:
        return True
    return branch is not None and any(matches(p["name"], branch) for p in policies)
