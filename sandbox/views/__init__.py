"""GitHub's JSON shapes, one module per API area, built from state; every URL points back at this server.

Here: what every area's shapes are built from, the server's URLs as the request named them and
GitHub's node ids.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sandbox.state import Record


@dataclass(frozen=True)
class Urls:
    api: str  # http://host:port/api/v3
    web: str  # http://host:port

    def repo(self, repo: Record) -> str:
        return f"{self.api}/repos/{repo['full_name']}"

    def repo_html(self, repo: Record) -> str:
        return f"{self.web}/{repo['full_name']}"


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"{kind}:{ident}".encode()).decode().rstrip("=")
