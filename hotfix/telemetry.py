"""Names of the metrics the workflow records through the SDK's replay-safe metric meter; the worker
exports them with the SDK's own (service/metrics.py), with these histogram buckets."""

from __future__ import annotations

# Seconds per step: a minute of automation up to a week of waiting for people.
STEP_DURATION = "hotfix_step_duration_seconds"
STEP_DURATION_BUCKETS = (1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0)
# Seconds per wait, by step and by what was waited on: people (a signal: changes ready, a recheck
# after a block) or GitHub (a poll: checks, reviews, the deploy run, the back-merge), same buckets.
WAIT_DURATION = "hotfix_wait_duration_seconds"
# Times a hotfix was blocked (GitHub refused something a human must fix), by step.
BLOCKED = "hotfix_blocked"
