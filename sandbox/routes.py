"""Imports every resource area so that its routes register themselves."""

from __future__ import annotations


def load() -> None:
    from sandbox.api import (  # noqa: F401
        actions,
        commits,
        deployments,
        git_data,
        meta,
        pulls,
        repos,
    )
