"""Labels: a repository's labels, and the labels of its issues (the sandbox's issues are its PRs).

GitHub creates a label that does not exist yet when it is added to an issue (grey, `ededed`, no
description); its REST description does not say so, but it is what GitHub does. Adding a label an
issue already has changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sandbox import errors
from sandbox.routing import Ctx, route
from sandbox.state import Record
from sandbox.views.labels import known, label, of_pull

R = "/repos/{owner}/{repo}"
NEW_LABEL_COLOR = "ededed"


def _create(ctx: Ctx, name: str, color: str, description: str | None) -> Record:
    item = {"id": ctx.store.new_id(), "name": name, "color": color, "description": description}
    known(ctx.repo)[name.lower()] = item
    ctx.store.touch()
    return item


@route("GET", R + "/labels")
def list_labels(ctx: Ctx) -> Any:
    labels = sorted(known(ctx.repo).values(), key=lambda item: str(item["name"]).lower())
    return [label(ctx.urls, ctx.repo, item) for item in ctx.paginate(labels)]


@route("POST", R + "/labels")
def create_label(ctx: Ctx) -> Any:
    ctx.require("write")
    name = str(ctx.field("name", "Label")).strip()
    if not name:
        raise errors.invalid_field("Label", "name")
    if name.lower() in known(ctx.repo):
        raise errors.Unprocessable(errors=[{"resource": "Label", "code": "already_exists", "field": "name"}])
    color = str(ctx.field("color", required=False) or NEW_LABEL_COLOR).lstrip("#")
    item = _create(ctx, name, color, ctx.field("description", required=False))
    return ctx.created(label(ctx.urls, ctx.repo, item), f"/labels/{quote(name, safe='')}")


@route("GET", R + "/issues/{issue_number}/labels")
def list_issue_labels(ctx: Ctx) -> Any:
    pr = ctx.find("pulls", "issue_number")
    return ctx.paginate(of_pull(ctx.urls, ctx.repo, pr))


@route("POST", R + "/issues/{issue_number}/labels")
def add_issue_labels(ctx: Ctx) -> Any:
    ctx.require("triage")
    pr = ctx.find("pulls", "issue_number")
    given = ctx.body if isinstance(ctx.body, list) else ctx.field("labels", "Issue")
    if not isinstance(given, list) or not given:
        raise errors.invalid_field("Issue", "labels")
    names = [str(item.get("name") if isinstance(item, dict) else item).strip() for item in given]
    if not all(names):
        raise errors.invalid_field("Issue", "labels")
    on_pr = pr.setdefault("labels", [])
    for name in names:
        item = known(ctx.repo).get(name.lower()) or _create(ctx, name, NEW_LABEL_COLOR, None)
        if item["name"].lower() not in (n.lower() for n in on_pr):
            on_pr.append(item["name"])
            ctx.store.touch()
    return of_pull(ctx.urls, ctx.repo, pr)
