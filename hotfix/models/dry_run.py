"""The input and result of a dry run (`start --dry-run`): what a hotfix would do, found by reading only."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotfix.models.branches import FindBaseResult
from hotfix.models.preflight import PreflightInput, PreflightResult
from hotfix.models.rules import BranchRules


class DryRunInput(BaseModel):
    preflight: PreflightInput
    main_branch: str
    environment: str


class DryRunResult(BaseModel):
    preflight: PreflightResult
    # None when preflight failed (the base is not looked for) or the base could not be found.
    base: FindBaseResult | None = None
    base_problem: str | None = None
    # The rules GitHub would apply to the prod branch (who may merge the hotfix PR, with how many).
    prod_rules: BranchRules | None = None
    notes: list[str] = Field(default_factory=list)
