"""HTTP handlers, one module per GitHub resource area; importing this package fills the route table.

Each handler parses the request, calls the area's state and rules in `sandbox.models`, and renders
the answer with `sandbox.views`.
"""

from sandbox.api import (  # noqa: F401 - each module adds its routes to sandbox.routing.ROUTES
    access,
    apps,
    checks,
    commits,
    deployments,
    git_data,
    hooks,
    labels,
    meta,
    pending_deployments,
    pulls,
    repos,
    rules,
    runs,
    workflows,
)
