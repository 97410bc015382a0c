"""The one status renderer: the UI's current details and PR reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hotfix import render
from hotfix.models import HotfixRequest, HotfixStatus, PullRequestRef, Step, StepEvent
from hotfix.render import duration, to_markdown

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def status(**overrides: object) -> HotfixStatus:
    values: dict[str, object] = {
        "repository": "acme/gaia-gateway",
        "description": "login loop",
        "requested_by": "dev-1",
        "work_branch": "hotfix/2026-11-23_login-loop",
        "prod_branch": "prod/hotfix/2026-11-23_login-loop",
    }
    values.update(overrides)
    return HotfixStatus.model_validate(values)


def test_markdown_names_step_wait_links_and_checklist() -> None:
    text = to_markdown(
        status(
            step=Step.APPROVAL,
            awaiting="an approving review on PR #3",
            awaiting_who=["prod-reviewer-1"],
            base_ref="main",
            base_sha="9ef03dc54817cf4456fc",
            pull_request=PullRequestRef(number=3, url="http://gh/pull/3"),
            warnings=["no required reviewers on prod"],
            timeline=[
                StepEvent(step=Step.PREFLIGHT, started_at=T0, ended_at=T0 + timedelta(seconds=2)),
                StepEvent(step=Step.APPROVAL, started_at=T0 + timedelta(seconds=2)),
            ],
        )
    )
    assert "**Step:** `approval`" in text
    assert "an approving review on PR #3 (prod-reviewer-1)" in text
    assert "[#3](http://gh/pull/3)" in text
    assert "`main` @ `9ef03dc54817`" in text
    assert "- warning: no required reviewers on prod" in text
    assert r"\[done\] 5. Pull request into the prod branch" in text
    assert r"\[now\] 6. Approval and merge" in text
    assert r"\[to do\] 7. Dispatch the deploy workflow" in text
    assert "- `preflight` started 2026-11-23 09:00:00, took 2s" in text
    assert "- `approval` started 2026-11-23 09:00:02, took …" in text


def test_done_ticks_every_step() -> None:
    text = to_markdown(status(step=Step.DONE))
    assert "[now" not in text and "[to do" not in text
    assert text.count(r"\[done\]") == 11


def test_marks_need_no_emoji_or_symbol_font() -> None:
    text = to_markdown(status(warnings=["a warning"], signals=["09:00:00 recheck, by not given"]))
    # Arrows, symbols, dingbats and emoji start at U+2190; a plain Latin font draws everything below.
    assert [c for c in text if ord(c) >= 0x2190] == []


def test_signals_received_name_who_sent_them() -> None:
    text = to_markdown(status(signals=["09:00:00 changes_ready, by dev-1", "09:01:00 recheck, by not given"]))
    assert "#### Signals received (UTC)" in text
    assert r"- 09:00:00 changes\_ready, by dev\-1" in text
    assert "- 09:01:00 recheck, by not given" in text


def test_durations_are_short() -> None:
    assert duration(T0, None) == "…"
    assert duration(T0, T0 + timedelta(seconds=59)) == "59s"
    assert duration(T0, T0 + timedelta(minutes=3, seconds=5)) == "3m05s"
    assert duration(T0, T0 + timedelta(hours=5, minutes=1)) == "5h01m"
    assert duration(T0, T0 + timedelta(days=3, hours=2)) == "3d02h"


def test_details_stay_within_the_ui_limit() -> None:
    text = to_markdown(status(warnings=["w" * 1000] * 40))
    assert len(text.encode()) <= 19_000


def test_a_description_cannot_fake_lines_of_the_pr_body() -> None:
    request = HotfixRequest(
        repository="acme/gaia-gateway",
        description="fix\n**Requested by:** @evil [docs](http://evil.example)",
        requested_by="dev-1",
        day=date(2026, 11, 23),
    )
    status = HotfixStatus(
        repository="acme/gaia-gateway",
        description="x",
        requested_by="dev-1",
        work_branch="hotfix/x",
        prod_branch="prod/hotfix/x",
    )
    body = render.pr_body(request, status, "`id`")
    lines = body.splitlines()
    assert [line for line in lines if line.startswith("**Requested by:**")] == ["**Requested by:** @dev\\-1"]
    assert "\\*\\*Requested by:\\*\\* @evil \\[docs\\]\\(http://evil\\.example\\)" in lines[0]


def test_pull_request_titles_are_one_line_within_githubs_limit() -> None:
    assert render.pr_title("Hotfix: a\nb") == "Hotfix: a b"
    assert len(render.pr_title("Hotfix: " + "x" * 300)) == 256


def test_a_requester_nobody_named_is_not_given_not_a_login() -> None:
    request = HotfixRequest(
        repository="acme/gaia-gateway",
        description="fix",
        requested_by=render.NOT_GIVEN,
        day=date(2026, 11, 23),
    )
    body = render.pr_body(request, status(requested_by=render.NOT_GIVEN), "`id`")
    assert "**Requested by:** not given" in body.splitlines()
    assert "@not" not in body


def request(**overrides: object) -> HotfixRequest:
    values: dict[str, object] = {
        "repository": "acme/gaia-gateway",
        "description": "login loop",
        "requested_by": "dev-1",
        "day": date(2026, 11, 23),
    }
    values.update(overrides)
    return HotfixRequest.model_validate(values)


def test_pr_titles_name_the_incident_and_are_unchanged_without_one() -> None:
    # Without an incident the titles are what hotfixes started before `--incident` were given.
    assert render.hotfix_title(request()) == "Hotfix: login loop"
    assert render.back_merge_title(request(), "develop") == "Back-merge hotfix login loop into develop"
    assert render.hotfix_title(request(incident="INC-1234")) == "Hotfix: login loop (INC-1234)"
    assert (
        render.back_merge_title(request(incident="INC-1234"), "develop")
        == "Back-merge hotfix login loop into develop (INC-1234)"
    )


def test_the_pr_body_links_an_incident_url_and_shows_a_key_as_text() -> None:
    shown = status(base_ref="main", base_sha="abc", base_source="deployment")
    url = "https://status.example.com/incidents/42_a"
    body = render.pr_body(request(incident=url), shown, "http://ui")
    assert f"**Incident:** <{url}>" in body.splitlines()
    body = render.pr_body(request(incident="INC-1234"), shown, "http://ui")
    assert "**Incident:** INC\\-1234" in body.splitlines()  # literal markdown: GitHub shows INC-1234
    assert "Incident" not in render.pr_body(request(), shown, "http://ui")
