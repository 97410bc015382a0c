"""Add operations from GitHub's full OpenAPI description to the subsets in this folder.

The subsets are cut from `@octokit/openapi` 23.0.2 (MIT, see LICENSE-octokit-openapi): its
`generated/api.github.com.json` and `generated/ghes-3.19.json`, unchanged. This script copies each
named operation as it is there, with every component it references (schemas, responses,
parameters, examples, headers, followed transitively), and leaves the rest of the subset alone:

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tests/github-rest/extend_subset.py package/generated

It is idempotent: running it again changes nothing. OPERATIONS lists what the sandbox added
beyond the first cut.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FILES = {"api.github.com.subset.json": "api.github.com.json", "ghes-3.19.subset.json": "ghes-3.19.json"}
OPERATIONS = [
    ("get", "/repos/{owner}/{repo}/rulesets"),
    ("get", "/repos/{owner}/{repo}/rulesets/{ruleset_id}"),
    ("get", "/orgs/{org}/teams/{team_slug}/memberships/{username}"),
    ("get", "/orgs/{org}/teams/{team_slug}/members"),
    ("get", "/repos/{owner}/{repo}/collaborators"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("get", "/repos/{owner}/{repo}/actions/permissions/workflow"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-suites"),
    ("get", "/repos/{owner}/{repo}/check-suites/{check_suite_id}"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"),
    # The worker as a GitHub App (issue #11).
    ("get", "/app"),
    ("get", "/repos/{owner}/{repo}/installation"),
    ("get", "/app/installations/{installation_id}"),
    ("delete", "/app/installations/{installation_id}"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    # Webhooks the sandbox delivers (issue #11): the App's and the repository's.
    ("get", "/app/hook/config"),
    ("patch", "/app/hook/config"),
    ("get", "/app/hook/deliveries"),
    ("get", "/app/hook/deliveries/{delivery_id}"),
    ("post", "/app/hook/deliveries/{delivery_id}/attempts"),
    ("post", "/repos/{owner}/{repo}/hooks"),
    ("get", "/repos/{owner}/{repo}/hooks/{hook_id}"),
    ("patch", "/repos/{owner}/{repo}/hooks/{hook_id}"),
    ("delete", "/repos/{owner}/{repo}/hooks/{hook_id}"),
    ("get", "/repos/{owner}/{repo}/hooks/{hook_id}/deliveries"),
    ("get", "/repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}"),
    ("post", "/repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"),
    ("post", "/repos/{owner}/{repo}/hooks/{hook_id}/pings"),
    # Labels (a back-merge PR that conflicts is labelled).
    ("get", "/repos/{owner}/{repo}/labels"),
    ("post", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
]


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            out.add(ref)
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def extend(subset: dict[str, Any], full: dict[str, Any]) -> int:
    added = 0
    for method, template in OPERATIONS:
        op = full["paths"][template][method]
        item = subset["paths"].setdefault(template, {})
        if item.get(method) != op:
            item[method] = op
            added += 1
    seen: set[str] = set()
    todo: set[str] = set()
    _refs(subset["paths"], todo)
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        value = full["components"][kind][name]
        subset["components"].setdefault(kind, {})[name] = value
        _refs(value, todo)
    note = " Operations the sandbox added later: tests/github-rest/extend_subset.py, same version."
    if note not in subset["info"]["description"]:
        subset["info"]["description"] += note
    subset["paths"] = dict(sorted(subset["paths"].items()))
    for kind in subset["components"]:
        subset["components"][kind] = dict(sorted(subset["components"][kind].items()))
    return added


def main(generated: Path) -> None:
    for subset_name, full_name in FILES.items():
        path = HERE / subset_name
        subset = json.loads(path.read_text())
        full = json.loads((generated / full_name).read_text())
        assert full["info"]["version"] == subset["info"]["version"], "take the same @octokit/openapi version"
        added = extend(subset, full)
        path.write_text(json.dumps(subset, indent=1))
        print(f"{subset_name}: {added} operations added or updated")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
