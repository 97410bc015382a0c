"""Patch IDs: each change to the workflow code that running hotfixes must replay through.

A change to the order or kind of commands (activities, timers, signals sent) is guarded with
`workflow.patched(ID)`, so a hotfix started on the old code keeps its old path. Each ID has a
recorded history in tests/workflows/histories/ that carries it, and the histories recorded before it
exercise the old path.

Deprecation plan: once no hotfix started before a patch can still run (the longest wait's deadline
after the release that added it, 30 days with the defaults, plus the namespace's retention), replace
`if workflow.patched(ID)` by `workflow.deprecate_patch(ID)` and the new branch alone; one release
later delete that line and the old histories that lack the marker.
"""

from __future__ import annotations

# 1 (round 1): an abort no longer waits for a GitHub action that is still retrying.
ABORT_INTERRUPTS_ACTIONS = "abort-interrupts-actions"
# 2 (round 1): a deploy run that failed without a rejection counts as deployed, so an abort deletes nothing.
FAILED_RUN_MAY_HAVE_DEPLOYED = "failed-run-may-have-deployed"

ALL = (ABORT_INTERRUPTS_ACTIONS, FAILED_RUN_MAY_HAVE_DEPLOYED)
