"""DeployActivities: dispatch the deploy workflow (exactly one run per hotfix) and re-run failed jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from github.GithubException import GithubException
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.github import errors, threads
from activities.github.client import GitHubClient
from activities.github.comments import GITHUB_REQUEST_LIMIT, after_earlier_attempts, retried_after_landing
from activities.github.rest import OnGitHub, RepoApi, q
from activities.github.threads import in_github_thread
from activities.log import logger
from activities.runs import CLOCK_SKEW, cancel_strays, ref_of, runs_of, since_dispatch
from hotfix.models import (
    DispatchInput,
    RerunResult,
    RunInput,
    RunRef,
)


def _log() -> Any:
    return logger("activities.deploy")


def _run_details_refused(status: int, message: str) -> bool:
    return status == 400 or (status == 422 and "return_run_details" in message)


class DeployActivities(OnGitHub):
    def __init__(
        self,
        github: GitHubClient,
        *,
        dispatch_lookup_attempts: int = 10,
        dispatch_lookup_interval: float = 2.0,
        clock_skew: timedelta = CLOCK_SKEW,
        request_limit: timedelta = GITHUB_REQUEST_LIMIT,
    ) -> None:
        """The keyword options exist for tests; production uses the defaults.

        `dispatch_lookup_*`: how long to look for a run GitHub has not listed yet (it creates runs
        of a dispatch asynchronously). `clock_skew`: tolerated difference between workflow time and
        GitHub's clock when deciding whether a run is ours.
        """
        super().__init__(github)
        self._dispatch_lookup_attempts = dispatch_lookup_attempts
        self._dispatch_lookup_interval = dispatch_lookup_interval
        self._clock_skew = clock_skew
        self._request_limit = request_limit

    @activity.defn
    @in_github_thread
    def dispatch_deploy(self, input: DispatchInput) -> RunRef:
        """Exactly one run per hotfix: find the run an earlier attempt made, else dispatch."""
        api = self._api(input.repository)
        since = since_dispatch(input, self._clock_skew)
        # A retry may follow a dispatch whose answer was lost and whose run GitHub lists only later,
        # or one GitHub is still handling (a timeout on our side): let it land, then look.
        retry = activity.info().attempt > 1
        if retry:
            after_earlier_attempts(self._request_limit)
        lookups = self._dispatch_lookup_attempts if retry else 1
        found = self._wait_for_run(api, input, since, lookups)
        if found is not None:
            return found
        made = self._dispatch(api, input)
        if made is not None:
            _log().info("deploy dispatched", github_run_id=made.run_id, ref=input.ref)
            return made
        found = self._wait_for_run(api, input, since, self._dispatch_lookup_attempts)
        if found is not None:
            return found.model_copy(update={"created": True})
        # Dispatched but not listed yet: the retry's lookup finds it, it does not dispatch again.
        raise ApplicationError(
            f"dispatched {input.workflow} on {input.ref}, but GitHub lists no run yet; looking again",
            type="RunNotListedYet",
        )

    def _dispatch(self, api: RepoApi, input: DispatchInput) -> RunRef | None:
        """`POST .../dispatches` asking GitHub for its run; None when it does not say (GHES < 3.21)."""
        what = f"dispatch workflow {input.workflow} on {input.ref}"
        missing = (
            f"check workflow {input.workflow} exists on the default branch with a workflow_dispatch "
            f"trigger, and that branch {input.ref} exists"
        )
        path = f"/actions/workflows/{q(input.workflow)}/dispatches"
        body: dict[str, Any] = {"ref": input.ref, "inputs": {}, "return_run_details": True}
        with retried_after_landing(self._request_limit):
            reply = api.call(
                "POST",
                path,
                what=what,
                permission="actions:write",
                missing=missing,
                body=body,
                expect=(400, 422),
            )
        if not reply.ok:
            if not _run_details_refused(reply.status, reply.message):
                raise errors.translate(
                    GithubException(reply.status, {"message": reply.message}),
                    input.repository,
                    what,
                    missing=missing,
                )
            # GHES before 3.21 refuses the key and makes no run; dispatch the old way.
            _log().info("return_run_details refused, dispatching without it", ref=input.ref)
            del body["return_run_details"]
            with retried_after_landing(self._request_limit):
                reply = api.call(
                    "POST", path, what=what, permission="actions:write", missing=missing, body=body
                )
        data = reply.data if isinstance(reply.data, dict) else {}
        if data.get("workflow_run_id"):
            return RunRef(
                run_id=int(data["workflow_run_id"]), url=str(data.get("html_url") or ""), created=True
            )
        return None

    def _wait_for_run(
        self, api: RepoApi, input: DispatchInput, since: datetime, attempts: int
    ) -> RunRef | None:
        for attempt in range(max(1, attempts)):
            if attempt:
                threads.heartbeat(f"looking for the run of {input.ref}")
                threads.pause(self._dispatch_lookup_interval)
            found = self._find_run(api, input, since)
            if found is not None:
                return found
        return None

    def _find_run(self, api: RepoApi, input: DispatchInput, since: datetime) -> RunRef | None:
        """The oldest run this dispatch made (see activities/runs.py); any younger one is cancelled."""
        runs = runs_of(api, input, since, self._github.login())
        if not runs:
            return None
        ref = ref_of(runs[0], created=False)
        ref.cancelled = cancel_strays(api, runs, ref.run_id)
        return ref

    @activity.defn
    @in_github_thread
    def rerun_failed_jobs(self, input: RunInput) -> RerunResult:
        """Re-run the failed jobs of a completed, unsuccessful run. Idempotent: a run that is not completed
        is an earlier attempt's re-run under way, so nothing is asked twice (`rerun=False`)."""
        api = self._api(input.repository)
        path = f"/actions/runs/{input.run_id}"
        run = api.json("GET", path, what=f"get run {input.run_id}", permission="actions:read")
        # Not completed: an earlier attempt's re-run is already under way (or waiting for approval).
        if run.get("status") != "completed" or run.get("conclusion") == "success":
            return RerunResult(run_id=input.run_id, rerun=False)
        api.call(
            "POST",
            f"{path}/rerun-failed-jobs",
            what=f"re-run failed jobs of run {input.run_id}",
            permission="actions:write",
            missing="GitHub re-runs only runs younger than 30 days: dispatch a new run instead",
        )
        _log().info("re-run requested", github_run_id=input.run_id)
        return RerunResult(run_id=input.run_id, rerun=True)
