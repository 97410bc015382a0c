"""The default seed and its names: who exists, which repositories, branches, protection, environments.

A seed is a mapping (YAML or JSON file, same keys as DEFAULT_SEED below); README.md documents it.
`sandbox.populate` reads one and applies it once, when the state directory is empty; after that the
state directory is the truth.
"""

from __future__ import annotations

import copy
from typing import Any

BOT = "hotfix-bot"
DEV = "dev-1"
REVIEWER_1 = "prod-reviewer-1"
REVIEWER_2 = "prod-reviewer-2"

READER = "reader-1"
ADMIN = "admin-1"
ACTIONS_BOT = "github-actions[bot]"
OTHER_CI_APP = "other-ci"
OTHER_CI_BOT = "other-ci[bot]"

BOT_TOKEN = "sandbox-bot-token"
DEV_TOKEN = "sandbox-dev-token"
REVIEWER_1_TOKEN = "sandbox-reviewer-1-token"
REVIEWER_2_TOKEN = "sandbox-reviewer-2-token"
READER_TOKEN = "sandbox-reader-token"
ADMIN_TOKEN = "sandbox-admin-token"
# A workflow's GITHUB_TOKEN: GitHub Actions' installation, acting as github-actions[bot].
ACTIONS_BOT_TOKEN = "sandbox-actions-bot-token"
OTHER_CI_TOKEN = "sandbox-other-ci-token"
OTHER_CI_APP_ID = 4242
ACTIONS_APP_ID = 15368
# The worker as a GitHub App (sandbox/apps.py): its private key is written to the state directory.
APP = "hotfix-app"
APP_BOT = "hotfix-app[bot]"
APP_ID = 31337
APP_PERMISSIONS = {
    "actions": "write",
    "administration": "read",
    "checks": "read",
    "contents": "write",
    "deployments": "write",
    "environments": "read",
    "issues": "write",
    "members": "read",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "read",
    "workflows": "write",
}
APP_EVENTS = [
    "check_run",
    "check_suite",
    "deployment_review",
    "deployment_status",
    "pull_request",
    "pull_request_review",
    "push",
    "status",
    "workflow_job",
    "workflow_run",
]

OWNER = "acme"
REPO_NAME = "gaia-gateway"
REPO = f"{OWNER}/{REPO_NAME}"
ENVIRONMENT = "prod"
DEPLOY_WORKFLOW = "deploy.yml"
PROD_APPROVERS = "prod-approvers"
CI_WORKFLOW = "ci.yml"
HOTFIX_PATTERN = "prod/hotfix/*"
# What GitHub Actions' CI reports on a push when a repository's seed names no `ci.checks`.
CI_CHECKS: list[dict[str, Any]] = [{"name": "ci"}]

DEPLOY_YML = """\
name: Deploy
on:
  workflow_dispatch:
    inputs:
      reason:
        description: Why this deployment
        required: false
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: prod
    steps:
      - uses: actions/checkout@v4
      - run: ./deploy.sh
"""

CI_YML = """\
name: CI
on:
  push:
  pull_request:
jobs:
  ci:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""

APP_PY = """\
def handle(request):
    return {"status": "ok"}
"""

DEFAULT_SEED: dict[str, Any] = {
    "users": [
        # Like a GitHub App installation granted Administration: read, the bot may read branch protection.
        {"login": BOT, "token": BOT_TOKEN, "name": "Hotfix Bot", "grants": {"administration": "read"}},
        {"login": DEV, "token": DEV_TOKEN, "name": "Developer One"},
        {"login": REVIEWER_1, "token": REVIEWER_1_TOKEN, "name": "Prod Reviewer One"},
        {"login": REVIEWER_2, "token": REVIEWER_2_TOKEN, "name": "Prod Reviewer Two"},
        {"login": READER, "token": READER_TOKEN, "name": "Read-only Reader"},
        {"login": ADMIN, "token": ADMIN_TOKEN, "name": "Repository Admin"},
        {
            "login": ACTIONS_BOT,
            "token": ACTIONS_BOT_TOKEN,
            "type": "Bot",
            "app": "github-actions",
            "id": 41898282,
        },
    ],
    # A second CI app: its bot can report check runs, which are not GitHub Actions'.
    "apps": [
        {"slug": OTHER_CI_APP, "id": OTHER_CI_APP_ID, "name": "Other CI", "token": OTHER_CI_TOKEN},
        {
            "slug": APP,
            "id": APP_ID,
            "name": "Hotfix App",
            "permissions": APP_PERMISSIONS,
            "events": APP_EVENTS,
            "installations": [{"account": OWNER, "repositories": [REPO_NAME]}],
        },
    ],
    "orgs": [{"login": OWNER, "members": [BOT, DEV, REVIEWER_1, REVIEWER_2], "owners": [ADMIN]}],
    # A team that may stand for its members, e.g. as an environment's required reviewer
    # (`reviewers: ["acme/prod-approvers"]`) or in a review request; it has no role in the repository.
    "teams": [
        {"org": OWNER, "slug": PROD_APPROVERS, "name": "Prod approvers", "members": [REVIEWER_1, REVIEWER_2]}
    ],
    "repos": [
        {
            "owner": OWNER,
            "name": REPO_NAME,
            "default_branch": "develop",
            "collaborators": {
                BOT: "write",
                DEV: "write",
                REVIEWER_1: "write",
                REVIEWER_2: "write",
                READER: "read",
            },
            "branches": [
                {
                    "name": "main",
                    "commits": [
                        {
                            "message": "Initial commit",
                            "author": DEV,
                            "files": {
                                "README.md": "# gaia-gateway\n",
                                "app.py": APP_PY,
                                ".github/workflows/deploy.yml": DEPLOY_YML,
                                ".github/workflows/ci.yml": CI_YML,
                            },
                        },
                        {
                            "message": "Release 1.0",
                            "author": DEV,
                            "files": {"VERSION": "1.0.0\n"},
                        },
                    ],
                },
                # An earlier hotfix's prod branch: classic protection shows on an existing branch only.
                {"name": "prod/hotfix/2026-11-02_previous-fix", "from": "main"},
                {
                    "name": "develop",
                    "from": "main",
                    "commits": [
                        {"message": "Start feature X", "author": DEV, "files": {"feature_x.py": "X = 1\n"}},
                        {
                            "message": "Work in progress on X",
                            "author": DEV,
                            "files": {"feature_x.py": "X = 2\n"},
                        },
                        {"message": "Bump version", "author": DEV, "files": {"VERSION": "1.1.0-dev\n"}},
                    ],
                },
            ],
            # The runbook's "branch protection rule": classic protection, no ruleset.
            "protection": [
                {
                    "pattern": HOTFIX_PATTERN,
                    "required_pull_request": True,
                    "required_approving_review_count": 1,
                }
            ],
            "environments": [
                {
                    "name": ENVIRONMENT,
                    "reviewers": [REVIEWER_1, REVIEWER_2],
                    "prevent_self_review": False,
                    "branch_policies": ["main", HOTFIX_PATTERN],
                }
            ],
            "deployments": [
                {"environment": ENVIRONMENT, "ref": "main", "creator": BOT, "state": "success"},
            ],
        }
    ],
}


def default_seed() -> dict[str, Any]:
    """A copy of DEFAULT_SEED to change and pass to running_sandbox(seed=...)."""
    return copy.deepcopy(DEFAULT_SEED)


def repo_spec(seed: dict[str, Any], name: str = REPO_NAME) -> dict[str, Any]:
    """The spec of one repository in a seed, to change in place."""
    return next(r for r in seed["repos"] if r["name"] == name)
