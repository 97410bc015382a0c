"""The webhook receiver as GitHub (and an attacker) reach it: signatures checked before parsing,
duplicates acknowledged once, events mapped to the running hotfixes whose branches they name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from receiver import events, verify
from receiver.app import MAX_BODY, make_app

SECRET = b"It's a Secret to Everybody"
REPO = "acme/gaia-gateway"
HOTFIX = "hotfix/acme/gaia-gateway/2026-11-23_login-loop"
OTHER = "hotfix/acme/gaia-gateway/2026-11-24_other-fix"
BRANCHES = {
    HOTFIX: {"hotfix/2026-11-23_login-loop", "prod/hotfix/2026-11-23_login-loop"},
    OTHER: {"hotfix/2026-11-24_other-fix", "prod/hotfix/2026-11-24_other-fix"},
}


def test_githubs_own_test_vector() -> None:
    # docs.github.com, "Validating webhook deliveries".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verify.signature(SECRET, b"Hello, World!") == expected
    assert verify.valid(SECRET, b"Hello, World!", expected)
    assert not verify.valid(SECRET, b"Hello, World?", expected)


class Temporal:
    def __init__(self) -> None:
        self.nudged: list[tuple[str, str, str]] = []
        self.asked: list[str] = []

    async def find(self, repository: str) -> dict[str, set[str]]:
        self.asked.append(repository)
        return BRANCHES if repository == REPO else {}

    async def nudge(self, workflow_id: str, event: str, delivery: str) -> None:
        self.nudged.append((workflow_id, event, delivery))


@pytest.fixture
def temporal() -> Temporal:
    return Temporal()


@pytest.fixture
def client(temporal: Temporal) -> TestClient:
    return TestClient(make_app(SECRET, temporal.find, temporal.nudge))


def review_payload(head: str = "hotfix/2026-11-23_login-loop") -> dict[str, Any]:
    return {
        "action": "submitted",
        "review": {"state": "approved"},
        "pull_request": {
            "number": 1,
            "head": {"ref": head},
            "base": {"ref": "prod/hotfix/2026-11-23_login-loop"},
        },
        "repository": {"full_name": REPO},
    }


def deliver(
    client: TestClient,
    payload: Any,
    *,
    event: str = "pull_request_review",
    delivery: str = "d-1",
    signature: str | None = None,
    raw: bytes | None = None,
) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json"}
    headers["X-Hub-Signature-256"] = signature if signature is not None else verify.signature(SECRET, body)
    if signature == "":
        del headers["X-Hub-Signature-256"]
    return client.post("/github/webhook", content=body, headers=headers)


def test_a_review_of_a_hotfix_pr_nudges_that_hotfix_only(client: TestClient, temporal: Temporal) -> None:
    reply = deliver(client, review_payload())
    assert reply.status_code == 200 and reply.json()["signalled"] == [HOTFIX]
    assert temporal.nudged == [(HOTFIX, "pull_request_review", "d-1")]


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", verify.signature(b"another secret", b"{}")],
    ids=["missing", "wrong", "other-scheme", "other-secret"],
)
def test_a_bad_signature_is_401_and_nothing_else(
    client: TestClient, temporal: Temporal, signature: str
) -> None:
    reply = deliver(client, review_payload(), signature=signature)
    assert reply.status_code == 401
    assert temporal.nudged == [] and temporal.asked == []


def test_the_signature_of_another_body_is_refused(client: TestClient, temporal: Temporal) -> None:
    reply = deliver(client, review_payload(), signature=verify.signature(SECRET, b'{"other": 1}'))
    assert reply.status_code == 401 and temporal.nudged == []


def test_a_signed_but_malformed_body_is_400(client: TestClient, temporal: Temporal) -> None:
    reply = deliver(client, None, raw=b'{"repository": ')
    assert reply.status_code == 400 and temporal.nudged == []


def test_an_unknown_event_is_acknowledged_and_ignored(client: TestClient, temporal: Temporal) -> None:
    reply = deliver(client, review_payload(), event="star")
    assert reply.status_code == 202 and temporal.nudged == [] and temporal.asked == []


def test_a_body_over_githubs_25_mb_cap_is_413_unread(client: TestClient, temporal: Temporal) -> None:
    raw = b"{" + b" " * MAX_BODY + b"}"
    reply = deliver(client, None, raw=raw, signature="sha256=" + "0" * 64)
    assert reply.status_code == 413 and temporal.nudged == []


def test_a_duplicated_delivery_is_acknowledged_once(client: TestClient, temporal: Temporal) -> None:
    assert deliver(client, review_payload(), delivery="same").status_code == 200
    again = deliver(client, review_payload(), delivery="same")
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert len(temporal.nudged) == 1


def test_deliveries_out_of_order_each_nudge(client: TestClient, temporal: Temporal) -> None:
    # A nudge carries no state: an older event arriving late costs one more look, nothing else.
    push = {"ref": "refs/heads/prod/hotfix/2026-11-23_login-loop", "repository": {"full_name": REPO}}
    assert deliver(client, push, event="push", delivery="d-2").status_code == 200
    assert deliver(client, review_payload(), delivery="d-1").status_code == 200
    assert [n[2] for n in temporal.nudged] == ["d-2", "d-1"]


def test_an_event_for_a_repository_without_hotfixes_signals_nothing(
    client: TestClient, temporal: Temporal
) -> None:
    payload = {**review_payload(), "repository": {"full_name": "acme/elsewhere"}}
    reply = deliver(client, payload)
    assert reply.status_code == 202 and temporal.nudged == []


def test_an_event_on_a_branch_of_no_hotfix_signals_nothing(client: TestClient, temporal: Temporal) -> None:
    push = {"ref": "refs/heads/develop", "repository": {"full_name": REPO}}
    assert deliver(client, push, event="push").status_code == 202
    assert temporal.nudged == []


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("check_run", {"check_run": {"check_suite": {"head_branch": "hotfix/2026-11-23_login-loop"}}}),
        ("check_suite", {"check_suite": {"head_branch": "hotfix/2026-11-23_login-loop"}}),
        ("workflow_run", {"workflow_run": {"head_branch": "prod/hotfix/2026-11-23_login-loop"}}),
        ("workflow_job", {"workflow_job": {"head_branch": "prod/hotfix/2026-11-23_login-loop"}}),
        ("deployment_review", {"workflow_run": {"head_branch": "prod/hotfix/2026-11-23_login-loop"}}),
        ("deployment_status", {"deployment": {"ref": "prod/hotfix/2026-11-23_login-loop"}}),
        ("status", {"branches": [{"name": "hotfix/2026-11-23_login-loop"}, {"name": "develop"}]}),
        (
            "pull_request",
            {
                "pull_request": {
                    "head": {"ref": "prod/hotfix/2026-11-23_login-loop"},
                    "base": {"ref": "develop"},
                }
            },
        ),
    ],
)
def test_each_event_kind_finds_its_hotfix_by_branch(event: str, payload: dict[str, Any]) -> None:
    names = events.branches(event, {**payload, "repository": {"full_name": REPO}})
    assert events.concerned(BRANCHES, names) == [HOTFIX]


def test_a_nudge_that_fails_does_not_fail_the_delivery(temporal: Temporal) -> None:
    async def broken(workflow_id: str, event: str, delivery: str) -> None:
        raise RuntimeError("temporal down")

    client = TestClient(make_app(SECRET, temporal.find, broken))
    assert deliver(client, review_payload()).status_code == 200


def test_health_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    deliver(client, review_payload(), signature="")
    assert 'hotfix_webhook_deliveries_total{outcome="bad signature"} 1.0' in client.get("/metrics").text
