"""The default seed and its names: who exists, which repositories, branches, protection, environments.

A seed is a mapping (YAML or JSON file, same keys as DEFAULT_SEED below); README.md documents it.
`sandbox.populate` reads one and applies it once, when the state directory is empty; after that the
state directory is the truth.
"""

from __future__ import annotations

from typing import Any

BOT = "hotfix-bot"
DEV = "dev-1"
REVIEWER_1 = "prod-reviewer-1"
REVIEWER_2 = "prod-reviewer-2"

BOT_TOKEN = "sandbox-bot-token"
DEV_TOKEN = "sandbox-dev-token"
REVIEWER_1_TOKEN = "sandbox-reviewer-1-token"
REVIEWER_2_TOKEN = "sandbox-reviewer-2-token"

OWNER = "acme"
REPO_NAME = "gaia-gateway"
REPO = f"{OWNER}/{REPO_NAME}"
ENVIRONMENT = "prod"
DEPLOY_WORKFLOW = "deploy.yml"
CI_WORKFLOW = "ci.yml"
HOTFIX_PATTERN = "prod/hotfix/*"

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
        {"login": BOT, "token": BOT_TOKEN, "name": "Hotfix Bot"},
        {"login": DEV, "token": DEV_TOKEN, "name": "Developer One"},
        {"login": REVIEWER_1, "token": REVIEWER_1_TOKEN, "name": "Prod Reviewer One"},
        {"login": REVIEWER_2, "token": REVIEWER_2_TOKEN, "name": "Prod Reviewer Two"},
    ],
    "orgs": [{"login": OWNER, "members": [BOT, DEV, REVIEWER_1, REVIEWER_2]}],
    "repos": [
        {
            "owner": OWNER,
            "name": REPO_NAME,
            "default_branch": "develop",
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
