"""Repository, branches, branch protection, branch rules, webhooks."""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors, protection, views
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record, iso

R = "/repos/{owner}/{repo}"


@route("GET", R)
def get_repo(ctx: Ctx) -> Any:
    return views.repository(ctx.urls, ctx.store, ctx.repo)


def _short_branch(ctx: Ctx, name: str, sha: str) -> Record:
    rule = protection.rule_for(ctx.repo, name)
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{ctx.urls.repo(ctx.repo)}/commits/{sha}"},
        "protected": rule is not None,
        "protection": _protection_body(ctx, name, rule) if rule else {"enabled": False},
        "protection_url": f"{ctx.urls.repo(ctx.repo)}/branches/{name}/protection",
    }


@route("GET", R + "/branches")
def list_branches(ctx: Ctx) -> Any:
    branches = ctx.git.branches()
    if "protected" in ctx.query:
        wanted = ctx.query["protected"] in ("true", "1")
        branches = [(n, s) for n, s in branches if (protection.rule_for(ctx.repo, n) is not None) == wanted]
    return [_short_branch(ctx, n, s) for n, s in ctx.paginate(branches)]


@route("GET", R + "/branches/{branch:path}")
def get_branch(ctx: Ctx) -> Any:
    name = ctx.params["branch"]
    sha = ctx.git.branch_sha(name)
    if sha is None:
        raise errors.NotFound("Branch not found")
    commit = ctx.git.commit(sha)
    assert commit is not None
    rule = protection.rule_for(ctx.repo, name)
    base = ctx.urls.repo(ctx.repo)
    out: Record = {
        "name": name,
        "commit": views.commit(ctx.urls, ctx.store, ctx.repo, commit),
        "_links": {"self": f"{base}/branches/{name}", "html": f"{ctx.urls.repo_html(ctx.repo)}/tree/{name}"},
        "protected": rule is not None,
        "protection": _protection_body(ctx, name, rule) if rule else {"enabled": False},
        "protection_url": f"{base}/branches/{name}/protection",
    }
    if rule:
        out["pattern"] = rule["pattern"]
        out["required_approving_review_count"] = int(rule.get("required_approving_review_count", 0))
    return out


def _protection_body(ctx: Ctx, branch: str, rule: Record) -> Record:
    url = f"{ctx.urls.repo(ctx.repo)}/branches/{branch}/protection"
    body: Record = {
        "url": url,
        "enabled": True,
        "name": branch,
        "protection_url": url,
        "enforce_admins": {
            "url": f"{url}/enforce_admins",
            "enabled": bool(rule.get("enforce_admins", False)),
        },
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "block_creations": {"enabled": False},
        "required_conversation_resolution": {"enabled": False},
        "lock_branch": {"enabled": False},
        "allow_fork_syncing": {"enabled": False},
        "required_signatures": {"url": f"{url}/required_signatures", "enabled": False},
    }
    count = int(rule.get("required_approving_review_count", 0))
    if rule.get("required_pull_request", count > 0):
        body["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": False,
            "require_code_owner_reviews": False,
            "required_approving_review_count": count,
            "require_last_push_approval": False,
        }
    contexts = list(rule.get("required_status_checks") or [])
    if contexts:
        body["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": False,
            "contexts": contexts,
            "contexts_url": f"{url}/required_status_checks/contexts",
            "checks": [{"context": c, "app_id": None} for c in contexts],
        }
    return body


@route("GET", R + "/branches/{branch:path}/protection")
def get_protection(ctx: Ctx) -> Any:
    name = ctx.params["branch"]
    if ctx.git.branch_sha(name) is None:
        raise errors.NotFound("Branch not found")
    rule = protection.rule_for(ctx.repo, name)
    if rule is None:
        raise errors.NotFound("Branch not protected")
    body = _protection_body(ctx, name, rule)
    body.pop("enabled")
    return body


@route("GET", R + "/rules/branches/{branch:path}")
def branch_rules(ctx: Ctx) -> Any:
    """Classic protection shown as the rules it implies (GitHub lists rulesets here; the sandbox has none)."""
    rule = protection.rule_for(ctx.repo, ctx.params["branch"])
    if rule is None:
        return []
    info = {"ruleset_source_type": "Repository", "ruleset_source": ctx.repo["full_name"], "ruleset_id": 1}
    out: list[Record] = []
    count = int(rule.get("required_approving_review_count", 0))
    if rule.get("required_pull_request", count > 0):
        params = {
            "dismiss_stale_reviews_on_push": False,
            "require_code_owner_review": False,
            "require_last_push_approval": False,
            "required_approving_review_count": count,
            "required_review_thread_resolution": False,
            "allowed_merge_methods": ["merge", "squash", "rebase"],
        }
        out.append({"type": "pull_request", "parameters": params, **info})
    contexts = list(rule.get("required_status_checks") or [])
    if contexts:
        params = {
            "required_status_checks": [{"context": c} for c in contexts],
            "strict_required_status_checks_policy": False,
        }
        out.append({"type": "required_status_checks", "parameters": params, **info})
    out.append({"type": "non_fast_forward", **info})
    out.append({"type": "deletion", **info})
    return ctx.paginate(out)


def _hook(ctx: Ctx, hook: Record) -> Record:
    url = f"{ctx.urls.repo(ctx.repo)}/hooks/{hook['id']}"
    return {
        "type": "Repository",
        "id": hook["id"],
        "name": "web",
        "active": hook["active"],
        "events": hook["events"],
        "config": hook["config"],
        "updated_at": iso(hook["created_at"]),
        "created_at": iso(hook["created_at"]),
        "url": url,
        "test_url": f"{url}/test",
        "ping_url": f"{url}/pings",
        "deliveries_url": f"{url}/deliveries",
        "last_response": {"code": None, "status": "unused", "message": None},
    }


@route("GET", R + "/hooks")
def list_hooks(ctx: Ctx) -> Any:
    return [_hook(ctx, h) for h in ctx.paginate(ctx.repo["hooks"])]


@route("POST", R + "/hooks")
def create_hook(ctx: Ctx) -> Any:
    """Stored and listed, never delivered: the sandbox does not call out."""
    config = dict(ctx.field("config", "Hook"))
    if "url" not in config:
        raise errors.Unprocessable(
            errors=[{"resource": "Hook", "code": "custom", "message": "url is missing"}]
        )
    if "secret" in config:
        config["secret"] = "********"
    hook = {
        "id": ctx.store.new_id(),
        "active": bool(
            ctx.field("active", required=False) if ctx.field("active", required=False) is not None else True
        ),
        "events": list(ctx.field("events", required=False) or ["push"]),
        "config": {"content_type": "form", "insecure_ssl": "0", **config},
        "created_at": time.time(),
    }
    ctx.repo["hooks"].append(hook)
    ctx.store.touch()
    return Reply(201, _hook(ctx, hook))
