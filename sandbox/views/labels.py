"""Labels as GitHub renders them (the `label` schema)."""

from __future__ import annotations

from urllib.parse import quote

from sandbox.state import Record
from sandbox.views import Urls, node_id


def known(repo: Record) -> dict[str, Record]:
    """The repository's labels by lower-cased name: GitHub's label names are case-insensitive."""
    labels: dict[str, Record] = repo.setdefault("labels", {})
    return labels


def label(u: Urls, repo: Record, item: Record) -> Record:
    return {
        "id": item["id"],
        "node_id": node_id("Label", item["id"]),
        "url": f"{u.repo(repo)}/labels/{quote(item['name'], safe='')}",
        "name": item["name"],
        "description": item.get("description"),
        "color": item["color"],
        "default": False,
    }


def of_pull(u: Urls, repo: Record, pr: Record) -> list[Record]:
    """The labels shown on a PR (and its issue), in the order they were added."""
    labels = known(repo)
    return [label(u, repo, labels[name.lower()]) for name in pr.get("labels", []) if name.lower() in labels]
