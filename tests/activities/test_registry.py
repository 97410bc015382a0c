"""The worker's list of activities: complete, and the same names the workflow tests' doubles answer to."""

from __future__ import annotations

import inspect
from typing import Any

from activities import branches, cherry_pick, deploy, preflight, pulls, record, rollback, rules, waits
from activities.registry import github_activities
from tests.workflows.fake_github import FakeActivities, FakeGitHub


def _defined_activities() -> set[str]:
    """Every method marked @activity.defn on the activity classes of the GitHub rooms."""
    names: set[str] = set()
    for module in (preflight, branches, cherry_pick, pulls, deploy, rules, waits, record, rollback):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for name, member in vars(cls).items():
                if hasattr(member, "__temporal_activity_definition"):
                    names.add(name)
    return names


def test_the_registry_lists_every_github_activity_once() -> None:
    unused: Any = object()
    listed = [fn.__name__ for fn in github_activities(unused)]
    assert len(listed) == len(set(listed))
    assert set(listed) == _defined_activities()
    assert {"preflight", "find_base", "dispatch_deploy", "wait_review"} <= set(listed)


def test_the_workflow_tests_doubles_answer_to_the_same_names() -> None:
    unused: Any = object()
    listed = {fn.__name__ for fn in github_activities(unused)}
    doubles = {fn.__name__ for fn in FakeActivities(FakeGitHub()).all()}
    # The notify activity is not GitHub's: every worker registers it (activities.registry.notify_activities).
    assert doubles == listed | {"notify"}


def test_every_github_activity_is_async_so_no_cancel_is_ever_raised_inside_a_thread() -> None:
    # The SDK cancels a sync activity by raising inside its thread, which can leak a library's lock
    # and freeze the worker (#16); async ones run their blocking calls in GitHub threads instead.
    unused: Any = object()
    sync = [fn.__name__ for fn in github_activities(unused) if not inspect.iscoroutinefunction(fn)]
    assert sync == []
