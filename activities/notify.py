"""NotifyActivities: tell people in chat that a hotfix waits for them, through Apprise.

Apprise (https://github.com/caronc/apprise) reaches Slack, Teams, Mattermost, e-mail, a plain JSON
webhook and many more from one URL each. The URLs (HOTFIX_NOTIFY_URLS) carry tokens: the worker holds
them, like the GitHub token; the workflow only says "notify: <event>" with the text's facts.

What can be promised, and what cannot:

- Never blocking, never failing the hotfix: the workflow starts this activity without waiting for it
  (workflows/notify.py), with a bounded retry (NOTIFY_ATTEMPTS attempts, NOTIFY_WITHIN at most), and
  the last attempt reports a failure instead of raising it: logged, counted in
  `hotfix_notifications_total{outcome="given_up"}`, and the hotfix goes on.
- Deduplicated across retries, as far as a chat webhook allows. Each message has a key stable across
  retries (hotfix, event, occurrence). This worker remembers which targets took which key, and an
  attempt of a key waits for an earlier attempt still sending it (one lock per key), so a retry after
  a lost answer or a timed-out attempt sends only to the targets not reached yet. A webhook has no
  idempotency key, though: a retry on *another* worker, or after this worker restarted, cannot know
  that an earlier attempt got through, and neither can anyone when the chat took the message but its
  answer was lost. So: at least once per target while the target answers, at most once per target
  per worker; the key is printed at the message's end, so a rare duplicate is recognisable.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.log import logger
from hotfix.models import NotifyInput, NotifyResult
from service.metrics import NOTIFICATIONS

if TYPE_CHECKING:
    import apprise

# Bounded: a chat that is down costs the hotfix nothing but these attempts.
NOTIFY_ATTEMPTS = 4
# One attempt: Apprise's own connect and read timeouts (4 s each by default) per target, and the wait
# for an earlier attempt of the same key.
NOTIFY_ATTEMPT_TIMEOUT = timedelta(seconds=30)
# All attempts together; the workflow waits at most this long for its last message before it ends.
NOTIFY_WITHIN = timedelta(minutes=2)
# Keys remembered by one worker: far more than the messages of the hotfixes it runs at once.
REMEMBERED = 10_000
# Apprise logs an unparseable URL whole, and its debug lines show request URLs: tokens. Warnings
# (connection errors, by host) and errors pass.
logging.getLogger("apprise").setLevel(logging.WARNING)


def _log() -> Any:
    return logger("activities.notify")


def accepted(url: str) -> bool:
    """Whether Apprise knows `url` (the worker checks HOTFIX_NOTIFY_URLS at start with it)."""
    import apprise  # here, not at import: the CLI imports the workflow, and so this module

    quiet = logging.getLogger("apprise")
    was, quiet.disabled = quiet.disabled, True  # its error line would quote the URL
    try:
        return bool(apprise.Apprise().add(url))
    finally:
        quiet.disabled = was


def message(input: NotifyInput) -> tuple[str, str]:
    """The title and markdown body of one notification."""
    head = f"Hotfix {input.repository}: {input.description}"
    lines: list[str] = []
    if input.awaiting:
        title = f"{head} waits for {input.awaiting}"
        lines.append(f"**Waiting for:** {input.awaiting}")
        lines.append("**Who:** " + (" ".join(f"@{who}" for who in input.who) or "anyone who may"))
    else:
        title = f"{head}: {input.event}"
    if input.deadline is not None:
        lines.append(f"**Deadline:** {input.deadline:%Y-%m-%d %H:%M} UTC")
    if input.note:
        lines.append(f"**Note:** {input.note}")
    lines += [f"**{label}:** {url}" for label, url in input.links.items()]
    lines.append(f"_ref {input.key}_")
    return title, "\n".join(lines)


class NotifyActivities:
    """Holds one Apprise client per target, so a retry sends only to the targets not reached yet."""

    def __init__(self, urls: Sequence[str], *, threads: int = 4) -> None:
        import apprise

        self._targets: list[apprise.Apprise] = []
        for url in urls:
            client = apprise.Apprise()
            if not client.add(url):
                raise ValueError("an entry of HOTFIX_NOTIFY_URLS is not an Apprise URL")
            self._targets.append(client)
        self._pool = ThreadPoolExecutor(threads, "notify") if self._targets else None
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, tuple[threading.Lock, set[int]]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return bool(self._targets)

    @activity.defn
    async def notify(self, input: NotifyInput) -> NotifyResult:
        """Send one message to every target that has not taken its key yet; see the module's notes."""
        if self._pool is None:
            # A hotfix started while a worker had targets, now on one without: nothing to send to.
            _log().info(
                "notification not sent: no HOTFIX_NOTIFY_URLS", notification=input.event, key=input.key
            )
            return NotifyResult()
        # In a thread of our own, which finishes even if Temporal gives up on the attempt: the next
        # attempt of the key then waits for it (its lock) and sees what it reached.
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._pool, self._deliver, input)
        if result.failed:
            last = activity.info().attempt >= NOTIFY_ATTEMPTS
            if not last:
                raise ApplicationError(
                    f"notification not delivered to {result.failed} of {len(self._targets)} target(s)",
                    type="NotificationFailed",
                )
            NOTIFICATIONS.labels(input.event, "given_up").inc(result.failed)
            _log().error(
                "notification given up: the hotfix goes on without it",
                notification=input.event,
                key=input.key,
                failed_targets=result.failed,
            )
        return result

    def _deliver(self, input: NotifyInput) -> NotifyResult:
        from apprise import NotifyFormat

        key_lock, reached = self._key(input.key)
        title, body = message(input)
        with key_lock:
            result = NotifyResult()
            for index, target in enumerate(self._targets):
                if index in reached:
                    result.already_sent += 1
                    NOTIFICATIONS.labels(input.event, "already_sent").inc()
                    continue
                if target.notify(title=title, body=body, body_format=NotifyFormat.MARKDOWN):
                    reached.add(index)
                    result.sent += 1
                    NOTIFICATIONS.labels(input.event, "sent").inc()
                else:
                    result.failed += 1
                    NOTIFICATIONS.labels(input.event, "failed").inc()
                    # The target by its place and its service's name: its URL carries a token.
                    _log().warning(
                        "notification not delivered",
                        notification=input.event,
                        key=input.key,
                        target=f"{index + 1} of {len(self._targets)}",
                        service=getattr(target[0], "service_name", "unknown"),
                    )
            if result.sent:
                _log().info("notification sent", notification=input.event, key=input.key, targets=result.sent)
            return result

    def _key(self, key: str) -> tuple[threading.Lock, set[int]]:
        with self._lock:
            entry = self._keys.get(key)
            if entry is None:
                entry = self._keys[key] = (threading.Lock(), set())
                while len(self._keys) > REMEMBERED:
                    self._keys.popitem(last=False)
            else:
                self._keys.move_to_end(key)
            return entry

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
