"""Delivery records: what the scheduler needs from storage to send each message exactly once.

A delivery is one scheduled message (and its thread), keyed by what it is, who it is for and
the day it belongs to. Adding one whose key is already there does nothing, so a second tick, a
restart or another replica plans nothing twice. A sender claims a few pending deliveries at a
time under a short lease, renewed before each post: a claim whose sender vanished lapses, and
only that batch waits. Before each post the delivery is marked unsure (the post may land
without its answer reaching csip); whoever sends it next looks for it in Slack first.

``storage.deliveries.SqlDeliveries`` is the SQL one; ``tests/memory_store.py`` keeps them in
dicts. Each writing call lands at once (it commits the store it belongs to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# A delivery's status. Pending ones are claimed and become sending, then delivered, or pending
# again to retry, or failed. Skipped, unreachable and planned (a slot's marker) are never sent.
PENDING, SENDING, DELIVERED = "pending", "sending", "delivered"
SKIPPED, UNREACHABLE, FAILED = "skipped", "unreachable", "failed"
PLANNED = "planned"

Message = dict[str, Any]
"""A chat.postMessage payload (or a file upload): plain JSON."""


@dataclass(frozen=True)
class DeliveryKey:
    """What makes a send happen once: a plan has one delivery per key."""

    kind: str
    recipient: str
    subject: str
    slot_date: dt.date


@dataclass(frozen=True)
class NewDelivery:
    key: DeliveryKey
    messages: Sequence[Message]
    status: str = PENDING


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery, or one found by its message: the parts to post and how far it got."""

    id: int
    key: DeliveryKey
    messages: list[Message]
    parts_sent: int
    channel: str | None
    slack_ts: str | None
    attempts: int
    claim: str | None = None
    unsure_since: dt.datetime | None = None
    """Set while a post of the next part may have landed unseen: look for it before posting."""


class Deliveries(Protocol):
    def existing(self, plan_id: int, slot_dates: Iterable[dt.date]) -> set[DeliveryKey]:
        """The keys of the plan's deliveries (markers included) on any of ``slot_dates``."""
        ...

    def add(self, plan_id: int, deliveries: Sequence[NewDelivery], now: dt.datetime) -> None:
        """Insert the ones whose key is not there yet; one already there is left as it is."""
        ...

    def claim(
        self, plan_id: int, now: dt.datetime, lease: dt.timedelta, limit: int, tick_start: dt.datetime
    ) -> list[Delivery]:
        """Take up to ``limit`` deliveries, in the order they were added: pending ones not
        claimed since ``tick_start`` (so a tick does not retry what it just failed), and any
        still sending from a claim over ``lease`` old. Two claims never take the same one."""
        ...

    def posting(self, delivery: Delivery, now: dt.datetime) -> bool:
        """About to post the next part: renew the claim and mark the delivery unsure (keeping
        the earliest such time). False, and nothing changed, if the claim was taken over."""
        ...

    def part_sent(self, delivery: Delivery, parts_sent: int, channel: str, ts: str | None) -> bool:
        """Remember progress so that a retry carries on after the parts already posted (and
        is no longer unsure). This and the writes below change the delivery only while
        ``delivery``'s claim still holds it, and say whether it did (False: taken over)."""
        ...

    def delivered(self, delivery: Delivery, now: dt.datetime) -> bool: ...

    def retry_later(self, delivery: Delivery, error: str, *, unsure: bool = False) -> bool:
        """Pending again, for the next tick, with one more attempt counted. ``unsure``: the
        post may have landed (a timeout), so the mark stays; otherwise it is cleared."""
        ...

    def give_up(self, delivery: Delivery, error: str) -> bool:
        """Failed for good: never claimed again."""
        ...

    def replace_messages(self, delivery_id: int, messages: list[Message]) -> None: ...

    def find_by_message(self, channel: str, ts: str) -> Delivery | None:
        """The delivery whose first message Slack knows as (channel, ts): a reminder being acted on."""
        ...
