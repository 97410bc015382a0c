"""What the repository's own rules ask of a branch: the input and result of reading them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RequiredCheck(BaseModel):
    """A required status check, and who must report it (None: anyone)."""

    context: str
    app_id: int | None = None


class BranchRulesInput(BaseModel):
    repository: str
    branch: str
    # Where classic protection may be seen when `branch` does not exist yet (a rule's pattern covers
    # branches, but GitHub's REST API shows classic protection only on an existing branch).
    pattern_prefix: str | None = None


class BranchRules(BaseModel):
    """The strictest of classic branch protection and the active rulesets for one branch."""

    requires_pull_request: bool = False
    # None: protection exists but its review settings are readable only with admin rights.
    required_approvals: int | None = 0
    dismiss_stale_reviews: bool = False
    require_last_push_approval: bool = False
    require_code_owner_reviews: bool = False
    required_checks: list[RequiredCheck] = Field(default_factory=list)
    strict: bool = False
    sources: list[str] = Field(default_factory=list)  # "classic (on BRANCH)", "ruleset NAME"
    # Said when something could not be read, so people know what was not checked.
    unreadable: list[str] = Field(default_factory=list)
