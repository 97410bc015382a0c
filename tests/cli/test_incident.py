"""`--incident` (#12 item 2): a URL or a ticket key, refused otherwise with exit 2 before Temporal is
reached; required when HOTFIX_REQUIRE_INCIDENT=true. What it shows on GitHub and in `list` is in
tests/integration/test_incident.py."""

from __future__ import annotations

import pytest

from tests.cli.support import invoke, one_error_line


@pytest.mark.parametrize(
    "incident",
    [
        "inc-12",  # keys are upper case, as Jira and ServiceNow print them
        "INC-",
        "INC 1234",
        "see INC-1234",
        "ftp://incidents/1",
        "https://status.example.com/x y",
        "https://status.example.com/<script>",
        "https://status.example.com/'quoted'",
        "https://status.example.com/" + "x" * 300,
    ],
)
def test_a_malformed_incident_is_refused_with_exit_2(incident: str) -> None:
    for command in (["start", "acme/gaia-gateway", "fix login"], ["list"]):
        result = invoke([*command, "--incident", incident])
        assert result.exit_code == 2, (command, result.output)
        assert "--incident takes the incident's URL (https://...) or a ticket key like INC-1234" in (
            one_error_line(result)
        )


def test_a_required_incident_that_is_missing_or_blank_is_refused_with_exit_2() -> None:
    for extra in ([], ["--incident", "  "]):
        result = invoke(
            ["start", "acme/gaia-gateway", "fix login", *extra], {"HOTFIX_REQUIRE_INCIDENT": "true"}
        )
        assert result.exit_code == 2, result.output
        assert "--incident is required (HOTFIX_REQUIRE_INCIDENT=true)" in one_error_line(result)
