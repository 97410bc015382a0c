"""Pull requests: opening, following their branches, mergeability, reviews, merging.

The rules GitHub applies here, with its messages: who may review, when a merge is refused (a closed
PR, a moved head, protection, a conflict), and how merge, squash and rebase write the commits.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors, identity
from sandbox.core import Sandbox
from sandbox.models import ci, codeowners, events, gate, permissions, refs, repo_rules
from sandbox.state import Record

NOT_MERGEABLE = "Pull Request is not mergeable"
EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
MERGE_METHODS = ("merge", "squash", "rebase")


def head_branch(repo: Record, spec: str) -> str:
    """The branch named by `head`, which may be `owner:branch` (the sandbox has no forks)."""
    if ":" in spec:
        owner, branch = spec.split(":", 1)
        if owner.lower() != repo["owner"].lower():
            raise errors.invalid_field("PullRequest", "head")
        return branch
    return spec


def refresh(sb: Sandbox, repo: Record, pr: Record) -> Record:
    """An open PR follows its branches, as GitHub's head.sha and base.sha do."""
    if pr["state"] == "open":
        git = sb.store.git(repo)
        head = git.branch_sha(pr["head"])
        base = git.branch_sha(pr["base"])
        if head and head != pr["head_sha"]:
            pr["head_sha"] = head
            sb.store.touch()
        if base and base != pr["base_sha"]:
            pr["base_sha"] = base
            sb.store.touch()
    return pr


def commits(sb: Sandbox, repo: Record, pr: Record) -> list[Any]:
    git = sb.store.git(repo)
    return git.commits_between(git.merge_base(pr["base_sha"], pr["head_sha"]), pr["head_sha"])


def files(sb: Sandbox, repo: Record, pr: Record) -> list[Any]:
    git = sb.store.git(repo)
    return git.diff(git.merge_base(pr["base_sha"], pr["head_sha"]), pr["head_sha"])


def details(sb: Sandbox, repo: Record, pr: Record) -> Record:
    """The fields only the single-PR endpoints carry: mergeability and size."""
    git = sb.store.git(repo)
    changed = files(sb, repo, pr)
    out: Record = {
        "commits": len(commits(sb, repo, pr)),
        "additions": sum(f.additions for f in changed),
        "deletions": sum(f.deletions for f in changed),
        "changed_files": len(changed),
    }
    if pr["state"] != "open":
        out.update(mergeable=None, mergeable_state="unknown")
        return out
    # GitHub computes mergeability in the background after the head or the base moved: the first
    # reads meanwhile say null/unknown, and only then is there a test merge commit.
    key = f"{pr['base_sha']}:{pr['head_sha']}"
    computing = pr.get("mergeability") or {}
    if computing.get("key") != key:
        computing = pr["mergeability"] = {"key": key, "since": time.time(), "test_merge": None}
        sb.store.touch()
    if time.time() - float(computing["since"]) < sb.mergeability_seconds:
        out.update(mergeable=None, mergeable_state="unknown", merge_commit_sha=None)
        return out
    tree, _ = git.merge_tree(pr["base_sha"], pr["head_sha"])
    if tree is not None:
        if computing.get("test_merge") is None:
            # The test merge (refs/pull/N/merge on GitHub): a real merge commit on no branch.
            message = f"Merge {pr['head_sha']} into {pr['base_sha']}"
            computing["test_merge"] = git.create_commit(
                tree, [pr["base_sha"], pr["head_sha"]], message, identity.github_sig(), identity.github_sig()
            )
            sb.store.touch()
        out["merge_commit_sha"] = computing["test_merge"]
    if tree is None:
        out.update(mergeable=False, mergeable_state="dirty", merge_commit_sha=None)
    elif gate.merge_block(sb, repo, pr, [f.filename for f in changed]):
        out.update(mergeable=True, mergeable_state="blocked")
    else:
        checks = [cr for cr in repo["check_runs"].values() if cr["head_sha"] == pr["head_sha"]]
        green = all(cr["conclusion"] in ("success", "neutral", "skipped") for cr in checks)
        out.update(mergeable=True, mergeable_state="clean" if green else "unstable")
    return out


def matching(sb: Sandbox, repo: Record, q: dict[str, str]) -> list[Record]:
    """The PRs the list filters select (state, head, base), in the order `sort` and `direction` ask."""
    state = q.get("state", "open")
    pulls = [refresh(sb, repo, pr) for pr in repo["pulls"].values()]
    if state != "all":
        pulls = [pr for pr in pulls if pr["state"] == state]
    if q.get("head"):
        head = q["head"]
        owner, _, branch = head.partition(":")
        pulls = [pr for pr in pulls if owner.lower() == repo["owner"].lower() and pr["head"] == branch]
    if q.get("base"):
        pulls = [pr for pr in pulls if pr["base"] == q["base"]]
    key = "updated_at" if q.get("sort") == "updated" else "created_at"
    pulls.sort(key=lambda pr: (pr[key], pr["number"]), reverse=q.get("direction", "desc") == "desc")
    return pulls


def open_pull(
    sb: Sandbox,
    repo: Record,
    login: str,
    head: str,
    base: str,
    title: str | None,
    body: str | None,
    draft: bool,
) -> Record:
    git = sb.store.git(repo)
    head_sha = git.branch_sha(head)
    base_sha = git.branch_sha(base)
    invalid = [f for f, sha in (("base", base_sha), ("head", head_sha)) if sha is None]
    if invalid:
        raise errors.invalid_field("PullRequest", *invalid)
    assert head_sha is not None and base_sha is not None
    for other in repo["pulls"].values():
        if other["state"] == "open" and other["head"] == head and other["base"] == base:
            raise errors.custom("PullRequest", f"A pull request already exists for {repo['owner']}:{head}.")
    if git.is_ancestor(head_sha, base_sha):
        raise errors.custom("PullRequest", f"No commits between {base} and {head}")
    now = time.time()
    number = repo["next_number"]
    repo["next_number"] = number + 1
    pr: Record = {
        "id": sb.store.new_id(),
        "number": number,
        "title": title,
        "body": body,
        "user": login,
        "head": head,
        "base": base,
        "head_sha": head_sha,
        "base_sha": base_sha,
        "state": "open",
        "draft": draft,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "merged": False,
        "merged_at": None,
        "merged_by": None,
        "merge_commit_sha": None,
        "requested_reviewers": [],
        "requested_teams": [],
    }
    repo["pulls"][str(number)] = pr
    if not draft:
        _request_code_owners(sb, repo, pr)
    # Actions runs the PR's workflows on its head (`pull_request`), besides the push's.
    ci.start(sb, repo, head_sha, head, event="pull_request")
    sb.store.touch()
    events.pull_request(sb, repo, pr, "opened", login)
    return pr


def _request_code_owners(sb: Sandbox, repo: Record, pr: Record) -> None:
    """As GitHub does when a PR is opened: the base branch's CODEOWNERS of the changed files are
    asked to review (never the PR's author; users without write access are skipped)."""
    rules = codeowners.read(sb.store, repo, pr["base_sha"])
    if not rules:
        return
    for entry in files(sb, repo, pr):
        for owner in codeowners.owners_of(rules, entry.filename):
            if owner.startswith("@") and "/" in owner:
                org, slug = owner[1:].split("/", 1)
                if org.lower() == repo["owner"].lower() and permissions.team(sb.store, org, slug) is not None:
                    if slug not in pr["requested_teams"]:
                        pr["requested_teams"].append(slug)
                continue
            for login in codeowners.owner_logins(sb.store, owner):
                wanted = login != pr["user"] and permissions.at_least(sb.store, repo, login, "write")
                if wanted and login not in pr["requested_reviewers"]:
                    pr["requested_reviewers"].append(login)


def update(sb: Sandbox, repo: Record, pr: Record, body: Record, sender: str | None = None) -> Record:
    """PATCH: title, body, base (an existing branch), state open/closed (not once merged)."""
    was = (pr["state"], pr["title"], pr["body"], pr["base"])
    for key in ("title", "body"):
        if key in body:
            pr[key] = body[key]
    if body.get("base"):
        if sb.store.git(repo).branch_sha(body["base"]) is None:
            raise errors.invalid_field("PullRequest", "base")
        pr["base"] = body["base"]
    if body.get("state") in ("open", "closed") and not pr["merged"]:
        if body["state"] == "open" and pr["state"] == "closed":
            pr["closed_at"] = None
        elif body["state"] == "closed" and pr["state"] == "open":
            pr["closed_at"] = time.time()
        pr["state"] = body["state"]
    pr["updated_at"] = time.time()
    sb.store.touch()
    refresh(sb, repo, pr)
    if pr["state"] != was[0]:
        events.pull_request(sb, repo, pr, "closed" if pr["state"] == "closed" else "reopened", sender)
    elif (pr["title"], pr["body"], pr["base"]) != was[1:]:
        events.pull_request(sb, repo, pr, "edited", sender, changes={})
    return pr


def request_reviewers(
    sb: Sandbox, repo: Record, pr: Record, reviewers: list[str], teams: list[str] | None = None
) -> None:
    for slug in teams or []:
        if permissions.team(sb.store, repo["owner"], slug) is None:
            raise errors.Unprocessable(
                "Reviews may only be requested from collaborators. "
                "One or more of the users or teams you specified is not a collaborator "
                f"of the {repo['full_name']} repository."
            )
        if slug not in pr.setdefault("requested_teams", []):
            pr["requested_teams"].append(slug)
    for login in reviewers:
        if sb.store.user(login) is None:
            raise errors.Unprocessable(
                "Reviews may only be requested from collaborators. "
                "One or more of the users or teams you specified is not a collaborator "
                f"of the {repo['full_name']} repository."
            )
        if login == pr["user"]:
            raise errors.Unprocessable("Review cannot be requested from pull request author.")
        if login not in pr["requested_reviewers"]:
            pr["requested_reviewers"].append(login)
    sb.store.touch()


def actions_settings(repo: Record) -> Record:
    """GET actions/permissions/workflow: what GITHUB_TOKEN may do (GitHub's defaults: read, no approving)."""
    return {
        "default_workflow_permissions": "read",
        "can_approve_pull_request_reviews": False,
        **(repo.get("actions_permissions") or {}),
    }


def _refused(reason: str) -> errors.ApiError:
    return errors.Unprocessable("Unprocessable Entity", errors=[reason])


def add_review(
    sb: Sandbox,
    repo: Record,
    pr: Record,
    login: str,
    event: str | None,
    body: str | None,
    commit_id: str | None,
) -> Record:
    """A review (PENDING without an event); the author may not approve or request changes."""
    if pr["user"] == login and event == "APPROVE":
        raise _refused("Can not approve your own pull request")
    if pr["user"] == login and event == "REQUEST_CHANGES":
        raise _refused("Can not request changes on your own pull request")
    if event in ("REQUEST_CHANGES", "COMMENT") and not body:
        raise _refused(f"Body is required for {event.lower().replace('_', ' ')} reviews")
    if pr["state"] != "open" and event in ("APPROVE", "REQUEST_CHANGES"):
        raise _refused("Can not review a closed pull request")
    if (
        login == permissions.ACTIONS_BOT
        and event == "APPROVE"
        and not actions_settings(repo)["can_approve_pull_request_reviews"]
    ):
        raise _refused("GitHub Actions is not permitted to approve pull requests.")
    commit_id = commit_id or pr["head_sha"]
    if commit_id != pr["head_sha"] and commit_id not in {str(c.id) for c in commits(sb, repo, pr)}:
        raise _refused("Commit ID is not part of the pull request")
    review = sb.store.add(
        repo,
        "reviews",
        pull=pr["number"],
        user=login,
        body=body or "",
        state=EVENTS[event] if event else "PENDING",
        commit_id=commit_id,
        submitted_at=time.time() if event else None,
    )
    if login in pr["requested_reviewers"] and event:
        pr["requested_reviewers"].remove(login)
    sb.store.touch()
    if event:
        events.pull_request_review(sb, repo, pr, review, "submitted", login)
    return review


def merge(
    sb: Sandbox,
    repo: Record,
    pr: Record,
    user: Record,
    expected_sha: str | None,
    method: str,
    title: str | None,
    message: str | None,
) -> str:
    """Merge the PR into its base (a real commit, a push) after GitHub's checks; the new base head."""
    if pr["state"] != "open":
        raise errors.MethodNotAllowed(NOT_MERGEABLE)
    if expected_sha is not None and expected_sha != pr["head_sha"]:
        raise errors.Conflict("Head branch was modified. Review and try the merge again.")
    if method not in MERGE_METHODS:
        raise errors.invalid_field("PullRequest", "merge_method")
    repo_rules.refuse_method(repo, method)
    blocked = gate.merge_block(sb, repo, pr, [f.filename for f in files(sb, repo, pr)])
    if blocked:
        raise errors.MethodNotAllowed(blocked)
    git = sb.store.git(repo)
    tree, _conflicts = git.merge_tree(pr["base_sha"], pr["head_sha"])
    if tree is None:
        raise errors.MethodNotAllowed(NOT_MERGEABLE)
    me = identity.sig(user)
    if method == "merge":
        title = title or f"Merge pull request #{pr['number']} from {repo['owner']}/{pr['head']}"
        full = f"{title}\n\n{message if message is not None else pr['title']}"
        sha = git.create_commit(tree, [pr["base_sha"], pr["head_sha"]], full, me, identity.github_sig())
    elif method == "squash":
        title = title or f"{pr['title']} (#{pr['number']})"
        full = f"{title}\n\n{message}" if message else title
        sha = git.create_commit(tree, [pr["base_sha"]], full, me, identity.github_sig())
    else:
        sha = _rebase(sb, repo, pr)
    refs.set_branch(sb, repo, pr["base"], sha, str(user["login"]), merging=pr["number"])
    now = time.time()
    pr.update(
        state="closed",
        merged=True,
        merged_at=now,
        closed_at=now,
        updated_at=now,
        merged_by=str(user["login"]),
        merge_commit_sha=sha,
    )
    sb.store.touch()
    events.pull_request(sb, repo, pr, "closed", str(user["login"]))
    return sha


def _rebase(sb: Sandbox, repo: Record, pr: Record) -> str:
    git = sb.store.git(repo)
    onto = pr["base_sha"]
    for commit in commits(sb, repo, pr):
        if len(commit.parent_ids) > 1:
            continue
        tree = git.pick_tree(str(commit.id), onto)
        if tree is None:
            raise errors.MethodNotAllowed("This branch can't be rebased")
        onto = git.create_commit(tree, [onto], commit.message, commit.author, identity.github_sig())
    return onto


events.DETAILS = details
