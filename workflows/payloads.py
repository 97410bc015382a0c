"""What people send and what they see: payloads read so that nothing a person sends can fail a
workflow task (#9 item 1), and the status published to the UI's details and the memo (#16).

A part of HotfixWorkflow (workflows/hotfix.py) through `Waiting` (workflows/waiting.py): every signal
handler takes `Any = None` and reads its payload here. Deterministic like any workflow code.

The memo: a hotfix started on STATUS_IN_MEMO keeps its status in its memo (key `status`), written at
the end of every workflow task that changed it (one `WorkflowPropertiesModified` event then), so
`starter.py status` reads it with a describe, answered by Temporal alone: no worker, no wait behind
the workflow tasks of a thousand other hotfixes (a query is answered by a worker, after the
workflow's pending task). It is the same HotfixStatus the `status` query returns, as of the last
workflow task.
"""

from __future__ import annotations

from typing import TypeVar

from temporalio import workflow

from workflows.versions import STATUS_IN_MEMO, Patched

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from hotfix import naming, render
    from hotfix.models import HotfixStatus

P = TypeVar("P", bound=BaseModel)

# How many ignored payloads the status keeps (the newest).
MAX_IGNORED = 20
# How many of the latest signals from people the status lists.
MAX_SIGNALS = 10


class Payloads(Patched):
    _status: HotfixStatus
    # The status as last written to the memo; None: not kept in the memo (a hotfix started before
    # STATUS_IN_MEMO), or not yet written.
    _memo_on: bool = False
    # Kept as its JSON, not a copy of the model: a deep copy of the status costs a waiting hotfix
    # about 10 KiB of the worker's memory, its JSON about 2 KiB (bench/worker_memory.py).
    _in_memo: str | None = None

    def _publish(self) -> None:
        workflow.set_current_details(render.to_markdown(self._status))

    async def _keep_status_in_memo(self) -> None:
        """Run for the whole hotfix: write the status to the memo whenever it differs from the memo.

        Started by run(); the wait's condition is checked once the workflow's other coroutines are
        idle, i.e. at the end of the workflow task, so one task writes the memo at most once.
        """
        self._memo_on = self._patched(STATUS_IN_MEMO)
        if not self._memo_on:
            return
        while True:
            await workflow.wait_condition(self._memo_stale)
            self._write_memo()

    def _memo_stale(self) -> bool:
        return self._status.model_dump_json() != self._in_memo

    def _write_memo(self) -> None:
        """The status into the memo now, if it changed (run() calls it last, before the hotfix ends)."""
        if self._memo_on and self._memo_stale():
            self._in_memo = self._status.model_dump_json()
            workflow.upsert_memo({naming.STATUS_MEMO: self._status})

    def _accept(self, model: type[P], raw: object, signal: str, *, from_a_person: bool = True) -> P:
        """The payload of `signal` as `model`, whatever was sent: nothing a person sends fails a task.

        No payload (the UI's empty Data box, the CLI without --input) and `null` mean the defaults; a
        payload that is not the model is ignored, noted in the status, and the defaults are used, so
        the signal still does what its name says; fields the model does not know are ignored and noted.
        A person's signal is listed in the status with who sent it (`by`), or "not given"; the webhook
        receiver's are counted (HotfixStatus.webhook_nudges).
        """
        defaults = raw is None
        payload: P
        if raw is None:
            payload = model()
        elif isinstance(raw, model):
            payload = raw
        else:
            try:
                payload = model.model_validate(raw)
            except ValidationError as err:
                shown = repr(raw)
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                problem = err.errors()[0].get("msg", "not readable") if err.errors() else "not readable"
                self._note_ignored(
                    f"{signal}: payload {shown} ignored ({problem}); sent as {signal} without a payload"
                )
                payload, defaults = model(), True
            else:
                unknown = (
                    sorted(str(key) for key in raw if key not in model.model_fields)
                    if isinstance(raw, dict)
                    else []
                )
                if unknown:
                    self._note_ignored(f"{signal}: unknown field(s) {', '.join(unknown)} ignored")
        if from_a_person:
            by = getattr(payload, "by", None) or render.NOT_GIVEN
            line = f"{workflow.now():%H:%M:%S} {signal}, by {by}"
            # Only a plain recheck, which does nothing but look again, is a nudge; any other signal
            # that names a webhook as its sender is listed like a person's (it decides something).
            nudge = signal == "recheck" and getattr(payload, "cherry_picks", None) is None
            if nudge and by.startswith(render.WEBHOOK_SENDER + " "):
                self._status.webhook_nudges += 1
                self._status.last_webhook_nudge = line
                self._publish()
                return payload
            self._status.signals = [
                *self._status.signals[-(MAX_SIGNALS - 1) :],
                line + (" (no payload it could read: acted on with the defaults)" if defaults else ""),
            ]
            self._publish()
        return payload

    def _note_ignored(self, line: str) -> None:
        self._status.ignored_inputs = [*self._status.ignored_inputs[-(MAX_IGNORED - 1) :], line]
        self._publish()
