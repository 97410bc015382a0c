"""Classic branch protection (GET branches/{b}/protection) and rulesets (rulesets, rules/branches/{b})."""

from __future__ import annotations

from sandbox.models import protection
from sandbox.state import Record, iso
from sandbox.views import Urls, node_id


def protection_body(u: Urls, repo: Record, branch: str, rule: Record) -> Record:
    """GitHub's branch-protection shape for the classic rule that applies to `branch`."""
    url = f"{u.repo(repo)}/branches/{branch}/protection"
    body: Record = {
        "url": url,
        "required_signatures": {"url": f"{url}/required_signatures", "enabled": False},
        "enforce_admins": {"url": f"{url}/enforce_admins", "enabled": bool(rule.get("enforce_admins"))},
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "block_creations": {"enabled": False},
        "required_conversation_resolution": {"enabled": False},
        "lock_branch": {"enabled": False},
        "allow_fork_syncing": {"enabled": False},
    }
    if protection.requires_pull_request(rule):
        body["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": bool(rule.get("dismiss_stale_reviews")),
            "require_code_owner_reviews": bool(rule.get("require_code_owner_reviews")),
            "required_approving_review_count": protection.review_count(rule),
            "require_last_push_approval": bool(rule.get("require_last_push_approval")),
        }
    required = protection.required_checks(rule)
    status = rule.get("required_status_checks")
    if required:
        body["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": bool(isinstance(status, dict) and status.get("strict")),
            "contexts": [c["context"] for c in required],
            "contexts_url": f"{url}/required_status_checks/contexts",
            "checks": [{"context": c["context"], "app_id": c["app_id"]} for c in required],
        }
    return body


def rule_detailed(repo: Record, ruleset: Record, rule: Record) -> Record:
    """One rule as GET rules/branches/{branch} lists it: the rule and the ruleset it comes from."""
    out: Record = {"type": rule["type"]}
    if "parameters" in rule:
        out["parameters"] = rule["parameters"]
    out.update(
        ruleset_source_type=ruleset.get("source_type", "Repository"),
        ruleset_source=ruleset.get("source", repo["full_name"]),
        ruleset_id=ruleset["id"],
    )
    return out


def ruleset(u: Urls, repo: Record, rs: Record, full: bool) -> Record:
    """A ruleset as GET rulesets lists it (full=False: no conditions or rules), or GET rulesets/{id}."""
    url = f"{u.repo(repo)}/rulesets/{rs['id']}"
    out: Record = {
        "id": rs["id"],
        "name": rs["name"],
        "target": rs.get("target", "branch"),
        "source_type": rs.get("source_type", "Repository"),
        "source": rs.get("source", repo["full_name"]),
        "enforcement": rs["enforcement"],
        "node_id": node_id("RepositoryRuleset", rs["id"]),
        "_links": {"self": {"href": url}, "html": {"href": f"{u.repo_html(repo)}/rules/{rs['id']}"}},
        "created_at": iso(rs["created_at"]),
        "updated_at": iso(rs["updated_at"]),
    }
    if full:
        out["current_user_can_bypass"] = "never"
        out["bypass_actors"] = rs.get("bypass_actors") or []
        out["conditions"] = rs.get("conditions")
        out["rules"] = [{k: v for k, v in r.items()} for r in rs["rules"]]
    return out
