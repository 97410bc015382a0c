"""Contract check: every sandbox response against GitHub's OpenAPI description (tests/github-rest/).

Operations are matched with our own path regexes because GitHub's `ref`, `branch`, `path` and
`basehead` parameters may contain '/'. A status is accepted when either description (api.github.com,
GHES 3.19) documents it for the operation, or when it is in the short, justified list below of
statuses GitHub really returns but leaves out of the description; bodies are validated with
openapi-schema-validator (OpenAPI 3.0 dialect: `nullable`), formats included.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPEC_DIR = Path(__file__).resolve().parents[1] / "github-rest"
SPECS = ("api.github.com.subset.json", "ghes-3.19.subset.json")
MULTI_SEGMENT = {"ref", "branch", "path", "basehead"}

# GitHub answers these for any operation (bad token, unknown or invisible resource, unparsable JSON)
# without listing them per operation; their body is GitHub's basic error.
GLOBAL_STATUSES = {400, 401, 404}
# Statuses GitHub returns for these operations that its description omits, each seen in GitHub's
# behaviour: a non-reviewer's review of pending deployments, a dispatch on an unknown ref or of a
# workflow without workflow_dispatch, check runs for an unknown ref, a re-run of a running run.
EXTRA_STATUSES = {
    ("post", "/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments"): {422},
    ("post", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"): {422},
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"): {422},
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"): {422},
    ("post", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun"): {403},
    ("post", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs"): {403},
    # Only a GitHub App may write check runs: a user's token gets 403 "You must authenticate via a
    # GitHub App." (github/rest-api-description#234, actions/github-script#118), and an app may only
    # update its own runs.
    ("post", "/repos/{owner}/{repo}/check-runs"): {403, 422},
    ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"): {403},
    # A caller without push access: 403 "Must have push access to view collaborator permission."
    # (PyGithub's recording Repository.testCollaboratorPermissionNoPushAccess).
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"): {403},
    # Commit statuses for a sha the repository does not have.
    ("post", "/repos/{owner}/{repo}/statuses/{sha}"): {422},
}
ERROR_SCHEMA = "#/components/schemas/basic-error"


@dataclass
class Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    literal: int
    responses: list[dict[str, Any]]  # one per description that has the operation


def _regex(template: str) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            out += "(.+)" if part[1:-1] in MULTI_SEGMENT else "([^/]+)"
        else:
            out += re.escape(part)
    return re.compile(out)


def _nullable_enums(node: Any) -> Any:
    """Two readings of GitHub's description that a literal JSON Schema validator gets wrong.

    `nullable: true` next to an `enum` admits null (OpenAPI 3.0.3's reading; GitHub sends
    `conclusion: null` for running check runs), but JSON Schema's enum keyword alone would refuse it;
    the same holds next to a oneOf/anyOf without `type` (a commit's `author` is null in lists when
    no account owns the e-mail).
    The contents endpoint's oneOf carries a discriminator on `type` whose mapping has an "array" key:
    a directory listing is an array and has no `type` to discriminate on, so the plain oneOf decides.
    A oneOf of basic-error and repository-rule-violation-error can never hold (neither requires a
    property, so every error body matches both); it is read as anyOf.
    """
    if isinstance(node, dict):
        alternatives = node.get("oneOf")
        if isinstance(alternatives, list) and {"$ref": ERROR_SCHEMA} in alternatives:
            node["anyOf"] = node.pop("oneOf")
        if "array" in (node.get("discriminator") or {}).get("mapping", {}):
            del node["discriminator"]
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        for key in ("oneOf", "anyOf"):
            if node.get("nullable") is True and "type" not in node and isinstance(node.get(key), list):
                if {"enum": [None]} not in node[key]:
                    node[key] = [*node[key], {"enum": [None]}]
        for value in node.values():
            _nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_enums(value)
    return node


def _github_beyond_its_description(spec: dict[str, Any]) -> dict[str, Any]:
    """What GitHub answers that its own description does not admit, where the sandbox models GitHub.

    - A deployment status `waiting`: Actions creates the Deployment when a job starts waiting for its
      environment's reviewers, with that state (read from the REST API by users, e.g. runs-on/runs-on
      issue #386), while the description's enum stops at `in_progress`.
    """
    schema = spec.get("components", {}).get("schemas", {}).get("deployment-status")
    state = (schema or {}).get("properties", {}).get("state")
    if state is not None and "waiting" not in state.get("enum", []):
        state["enum"] = [*state["enum"], "waiting"]
    return spec


class Contract:
    def __init__(self, spec_dir: Path = SPEC_DIR) -> None:
        self.specs = [
            _nullable_enums(_github_beyond_its_description(json.loads((spec_dir / name).read_text())))
            for name in SPECS
        ]
        registry: Registry = Registry()
        for i, spec in enumerate(self.specs):
            registry = registry.with_resource(f"urn:spec{i}", DRAFT4.create_resource(spec))
        self.registry = registry
        ops: dict[tuple[str, str], Operation] = {}
        for spec in self.specs:
            for template, item in spec["paths"].items():
                for method, op in item.items():
                    if method not in ("get", "post", "put", "patch", "delete"):
                        continue
                    key = (method, template)
                    if key not in ops:
                        literal = len(re.sub(r"\{[^}]+\}", "", template))
                        ops[key] = Operation(method, template, _regex(template), literal, [])
                    ops[key].responses.append(op["responses"])
        self.operations = sorted(ops.values(), key=lambda o: -o.literal)

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method.lower() and op.regex.fullmatch(path):
                return op
        return None

    @cache  # noqa: B019 - one Contract per session, the cache lives as long as it
    def _validator(self, spec_index: int, pointer: str) -> OAS30Validator:
        return OAS30Validator(
            {"$ref": f"urn:spec{spec_index}{pointer}"},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )

    def _schema_pointer(self, spec_index: int, response: dict[str, Any], pointer: str) -> str | None:
        if "$ref" in response:
            name = response["$ref"].split("/")[-1]
            response = self.specs[spec_index]["components"]["responses"][name]
            pointer = f"#/components/responses/{name}"
        content = response.get("content") or {}
        if not content:
            return None
        media = "application/json" if "application/json" in content else next(iter(content))
        escaped = media.replace("~", "~0").replace("/", "~1")
        return f"{pointer}/content/{escaped}/schema"

    def check(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with one response; [] when it matches the description."""
        op = self.operation(method, path)
        if op is None:
            return []  # outside the subset: not part of the contract
        where = f"{method} {path} -> {status}"
        candidates: list[tuple[int, str | None]] = []
        for i, spec in enumerate(self.specs):
            item = spec["paths"].get(op.template, {}).get(op.method)
            if item is None or str(status) not in item["responses"]:
                continue
            pointer = (
                f"#/paths/{op.template.replace('~', '~0').replace('/', '~1')}/{op.method}/responses/{status}"
            )
            candidates.append((i, self._schema_pointer(i, item["responses"][str(status)], pointer)))
        message = body.get("message") if isinstance(body, dict) else None
        if not candidates and status == 403 and str(message).startswith("Resource not accessible by "):
            # GitHub's answer to a token or an App lacking the permission, for any operation.
            candidates = [(0, ERROR_SCHEMA)]
        if not candidates and status == 304 and op.method == "get":
            # A conditional GET whose ETag still matches: GitHub answers any GET so, without a body.
            candidates = [(0, None)]
        if not candidates:
            if status in GLOBAL_STATUSES or status in EXTRA_STATUSES.get((op.method, op.template), set()):
                candidates = [(0, ERROR_SCHEMA)]
            else:
                return [f"{where}: status {status} is not documented for {op.method.upper()} {op.template}"]
        errors: list[str] = []
        for i, schema in candidates:
            if schema is None and status >= 400:
                # GitHub sends its error body even where the description lists no content (409 merges).
                schema = ERROR_SCHEMA
            if schema is None:
                if body in (None, "", {}):
                    return []
                errors.append(f"{where}: documented without a body, got {str(body)[:200]}")
                continue
            found = sorted(self._validator(i, schema).iter_errors(body), key=lambda e: list(e.absolute_path))
            if not found:
                return []
            errors.extend(
                f"{where} [{SPECS[i]}]: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
                for e in found[:5]
            )
        return errors

    def check_log(self, entries: list[dict[str, Any]]) -> list[str]:
        problems: list[str] = []
        for entry in entries:
            if entry.get("fault") or entry.get("status") is None:
                continue  # injected by the test, not the sandbox's own answer
            problems += self.check(entry["method"], entry["path"], entry["status"], entry.get("response"))
        return problems


@cache
def contract() -> Contract:
    return Contract()
