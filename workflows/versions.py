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

from temporalio import workflow

# 1 (round 1): an abort no longer waits for a GitHub action that is still retrying.
ABORT_INTERRUPTS_ACTIONS = "abort-interrupts-actions"
# 2 (round 1): a deploy run that failed without a rejection counts as deployed, so an abort deletes nothing.
FAILED_RUN_MAY_HAVE_DEPLOYED = "failed-run-may-have-deployed"

# 3 (round 2): ship only what was reviewed. A head that moved after its checks is tested again (and a
# comment says why) before a merge; a PR closed by hand waits to be reopened; a retargeted PR is not
# merged; a PR merged by hand counts only with an approval of its head, into the prod branch; the prod
# branch must hold exactly the merged commit at the dispatch, the run must be at it, and so must the
# deployment; the back-merge is done only when the default branch contains it; a withdrawal keeps
# branches that hold people's commits.
REVIEWED_COMMIT_ONLY = "reviewed-commit-only"

# 4 (round 2): step 4 reads the prod branch's required checks (and who must report them) first.
REQUIRED_CHECKS_FROM_RULES = "required-checks-from-rules"

# 5 (round 2): every human wait has a deadline (queued, drift, blocked too), reminders wherever a PR
# exists, and names who it waits for.
EVERY_WAIT_NAMED = "every-wait-has-a-deadline-and-reminders"

# 6 (round 2, LaneWorkflow): when a hotfix joins behind the head, the lane checks at once that the head
# still runs (one terminated from outside never releases it).
LANE_PROBES_ON_JOIN = "lane-probes-on-join"

# 7 (round 3): a hotfix queued behind another watches its lane (an activity); a lane terminated from
# outside is re-joined, in the order the hotfixes first joined, behind the one granted before.
QUEUED_REJOINS_VANISHED_LANE = "queued-rejoins-vanished-lane"

# 8 (round 3, issue #16): the hotfix keeps its status in its memo, written at the end of each workflow
# task that changed it, so `starter.py status` reads it from Temporal without waiting for a worker.
STATUS_IN_MEMO = "status-in-memo"

# 9 (round 3): a crashed worker is replaced within seconds. Each poll attempt is one look at GitHub,
# retried one poll interval later (the activity says so) or a second after its worker died; polls and
# actions have a short heartbeat timeout (ProcessSettings.heartbeat_timeout) instead of 20 s (actions)
# and 2 x the poll interval + 1 min (polls).
HEARTBEATS_NOTICE_A_DEAD_WORKER = "heartbeats-notice-a-dead-worker"

# 10 (round 3): before merging an approved PR, the checks CI ran on the PR itself (Actions' pull_request
# runs, besides the push's) must have passed on its head, by step 4's rules.
CHECKS_OF_THE_PR_BEFORE_MERGE = "checks-of-the-pr-before-merge"

# 11 (round 3, issue #12): a hotfix that ends done, aborted or expired reads its change record from
# GitHub (one more activity), returns it in its result and leaves it on the hotfix PR as one comment.
CHANGE_RECORD = "change-record"

# 12 (round 3, issue #12 item 6): at each human wait and at the end, a chat notification (an activity
# started without waiting for it, workflows/notify.py) when the worker's preflight said it has chat
# targets. Only such hotfixes ask for this patch, so a hotfix without notifications has no marker.
NOTIFY_AT_WAITS = "notify-at-waits"

# 13 (round 3, issue #12 item 5): a back-merge PR GitHub cannot merge (`mergeable: false`, a conflict)
# is said so in the status, commented on once with the files changed on both sides, labelled, and its
# requester asked to review (one activity); the hotfix keeps waiting for a human to resolve it.
BACK_MERGE_CONFLICTS = "back-merge-conflicts"

# 14 (round 3, issue #13): an aborted or expired hotfix ends Failed (type HotfixAborted or
# HotfixExpired, its result in the failure's details), not Completed like a done one: the UI's list
# shows it red, not as a green success. Cleanup and the change record come first, as before.
EARLY_END_FAILS = "early-end-fails"

# 15 (round 3, issue #13 item 5): a blocked hotfix sets the HotfixBlocked search attribute ("true"
# while blocked, "false" after), so the UI and the `hotfix_blocked_now` gauge find the blocked ones.
BLOCKED_LISTED = "blocked-listed"

# 16 (round 4, issue #11): a hotfix started on this code takes the new branch of every patch above with
# this one marker instead of a marker and a TemporalChangeVersion upsert each (2 events per patch);
# its waits share one timer while their polls come and go (none cancelled and started per poll); the
# repository and step search attributes are set by the starter and upserted only when they change; a
# hotfix aborted, expired or cancelled while blocked sets HotfixBlocked back to "false".
LEAN_HISTORY = "lean-history"

# The patches LEAN_HISTORY stands for: the fourteen before it, named here once and for all. A patch
# added later goes into ALL after LEAN_HISTORY, never into this tuple: hotfixes started on
# LEAN_HISTORY took that patch's old branch while it did not exist, and would replay its new one.
BEFORE_LEAN = (
    ABORT_INTERRUPTS_ACTIONS,
    FAILED_RUN_MAY_HAVE_DEPLOYED,
    REVIEWED_COMMIT_ONLY,
    REQUIRED_CHECKS_FROM_RULES,
    EVERY_WAIT_NAMED,
    QUEUED_REJOINS_VANISHED_LANE,
    HEARTBEATS_NOTICE_A_DEAD_WORKER,
    CHECKS_OF_THE_PR_BEFORE_MERGE,
    STATUS_IN_MEMO,
    CHANGE_RECORD,
    NOTIFY_AT_WAITS,
    BACK_MERGE_CONFLICTS,
    EARLY_END_FAILS,
    BLOCKED_LISTED,
)
FOLDED = frozenset(BEFORE_LEAN)
ALL = (*BEFORE_LEAN, LEAN_HISTORY)
# Patches of LaneWorkflow: its histories are the lanes', not the hotfixes'.
LANE = (LANE_PROBES_ON_JOIN,)


class Patched:
    """`_patched(ID)` for the hotfix's rooms: True for a hotfix started on LEAN_HISTORY (one marker
    for all the patches it folds), else `workflow.patched(ID)` as before.

    LEAN_HISTORY is read at the start of run(), in the first workflow task, whether it is replayed
    or not: `workflow.patched` memoizes its answer per run, so a hotfix started before it keeps False
    all its life (a later first read, in a task that is not replayed, would say True and change the
    path of a running hotfix).
    """

    _lean: bool | None = None

    def _start_lean(self) -> None:
        self._lean = workflow.patched(LEAN_HISTORY)

    def _patched(self, patch: str) -> bool:
        if self._lean is None:
            self._start_lean()  # a handler ran before run() did: it is the same first task
        if self._lean and patch in FOLDED:
            return True
        return workflow.patched(patch)
