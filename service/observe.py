"""What the worker tells about hotfixes as they go, from outside the workflow code.

`HumanActions` is a workflow interceptor: one info line per signal or update a person sends a hotfix
(`human action seen`, with the signal's name, who sent it and the workflow ID). It logs through
`workflow.logger`, which writes nothing while a workflow replays, so a line means the worker saw the
signal arrive, once, not that a replay went past it. The step changes are logged by the workflow
itself (`Waiting._set_step`, the one place a step changes), through the same replay-safe logger.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.worker import (
    HandleSignalInput,
    HandleUpdateInput,
    WorkflowInboundInterceptor,
)

# Signals one workflow sends another (the lane's), not people.
NOT_HUMAN = frozenset({"lane_update"})
HUMAN_WORKFLOWS = frozenset({"HotfixWorkflow"})


def _by(args: Any) -> str | None:
    payload = args[0] if args else None
    by = payload.get("by") if isinstance(payload, dict) else getattr(payload, "by", None)
    return str(by) if by else None


class HumanActions(WorkflowInboundInterceptor):
    async def handle_signal(self, input: HandleSignalInput) -> None:
        self._seen("signal", input.signal, input.args)
        await super().handle_signal(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        self._seen("update", input.update, input.args)
        return await super().handle_update_handler(input)

    @staticmethod
    def _seen(kind: str, name: str, args: Any) -> None:
        if workflow.info().workflow_type not in HUMAN_WORKFLOWS or name in NOT_HUMAN:
            return
        workflow.logger.info(
            "human action seen", extra={"action": name, "kind": kind, "by": _by(args) or "not given"}
        )
