"""Whether a login is a GitHub user: the requester at preflight, each decision's sender in the record."""

from __future__ import annotations

from activities.github.rest import RepoApi, q


def is_user(api: RepoApi, login: str) -> bool:
    found = api.call(
        "GET",
        f"/users/{q(login)}",
        what=f"get user {login}",
        permission="metadata:read",
        expect=(404,),
        top=True,
    )
    return found.ok
