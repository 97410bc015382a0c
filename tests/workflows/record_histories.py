"""Record the histories the replay tests replay: `python -m tests.workflows.record_histories`.

Run it again only when a change is *meant* to be incompatible (and then add a `workflow.patched`
branch instead if any hotfix could still be running on the old code).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.lane import LaneActivities
from hotfix import search_attributes
from hotfix.models import AbortSignal, RecheckSignal, Step
from tests.conftest import venv_binary
from tests.workflows.conftest import Harness
from tests.workflows.fake_github import FakeActivities, FakeGitHub
from tests.workflows.test_hotfix import drive_to_deploy_approval, finish_back_merge
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow

HERE = Path(__file__).parent / "histories"


async def record() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for k in search_attributes.ALL
            },
        )
    )
    gh = FakeGitHub()
    task_queue = f"record-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[HotfixWorkflow, LaneWorkflow],
        activities=[*FakeActivities(gh).all(), LaneActivities(env.client, task_queue).enqueue],
    ):
        h = Harness(env, gh, task_queue, "replay")
        happy = await h.start("happy path")
        status = await drive_to_deploy_approval(h, happy)
        assert status.run_id is not None
        gh.approve_run(status.run_id)
        await happy.signal(HotfixWorkflow.recheck, RecheckSignal())
        await finish_back_merge(h, happy)

        aborted = await h.start("aborted")
        await h.reach(aborted, Step.CHANGES)
        await aborted.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix", by="dev-1"))
        await aborted.result()

        for name, handle in (("happy_path", happy), ("abort", aborted)):
            history = await handle.fetch_history()
            data = json.loads(history.to_json())
            (HERE / f"{name}.json").write_text(
                json.dumps({"workflow_id": handle.id, "history": data}, indent=1)
            )
            print(f"wrote {name}.json: {len(history.events)} events")
        await h.terminate_leftovers()
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
