"""One tick: plan whatever slots have come due, then send every pending delivery.

APScheduler calls this every few minutes and once on start; `csip run-due --now` calls it by
hand. Everything it does is decided by the database, so ticks can overlap, repeat or be missed
and each message still goes once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.directory import SlackDirectory
from bot.metrics import SENDS
from plan.calendar import WorkingCalendar
from plan.clock import Clock, in_words
from plan.deliveries import PLANNED, SKIPPED, NewDelivery
from plan.ports import StoreFactory
from schedules.config import Schedule
from schedules.planning import RED_ALERT, Planner, latest_slots
from schedules.sending import Outcome, send

log = logging.getLogger(__name__)
# A sender claims this many deliveries at a time and renews its claim before each post; a claim
# not renewed for the lease (its sender died) is taken again. So a crash holds back one batch,
# for minutes. The lease outlasts the longest single post: slack_sdk's three 429 waits and two
# retries of a 10-second timeout.
CLAIM_BATCH = 10
CLAIM_LEASE = dt.timedelta(minutes=5)


@dataclass
class TickReport:
    planned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    no_plan: bool = False  # nothing imported yet: nothing to plan or send

    def __str__(self) -> str:
        if self.no_plan:
            return "no plan yet: nothing planned or sent"
        sent = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items())) or "nothing sent"
        planned, skipped = ", ".join(self.planned) or "none", ", ".join(self.skipped) or "none"
        return f"planned: {planned}; skipped: {skipped}; {sent}"


def run_due(
    open_store: StoreFactory,
    client: WebClient,
    schedule: Schedule,
    now: dt.datetime,
    clock: Clock | None = None,
) -> TickReport:
    """Plan the slots due at ``now``, then send; ``clock`` (``now`` throughout by default) is
    read as the sending goes on, for the claims' leases."""
    clock = clock or (lambda: now)
    calendar = WorkingCalendar(schedule.send_time)
    planner = Planner(schedule, calendar, SlackDirectory(client))
    grace = schedule.catch_up
    report = TickReport()
    with open_store() as store:
        plan_id = store.find_plan_id(schedule.team_id)
        if plan_id is None:
            log.warning("no plan for workspace %r yet: nothing to plan or send", schedule.team_id)
            return TickReport(no_plan=True)
        slots = latest_slots(now, calendar, schedule)
        done = store.deliveries.existing(plan_id, {slot.day for slot in slots})
        todo = [slot for slot in slots if slot.marker not in done]
        store.deliveries.add(plan_id, planner.red_alerts(store, plan_id, now), now)
        for slot in todo:
            label = f"{slot.kind} {slot.day.isoformat()}"
            if now - slot.at > grace:
                late, limit = in_words(now - slot.at), in_words(grace)
                log.warning("skipping %s: %s late, over the catch-up limit of %s", label, late, limit)
                store.deliveries.add(plan_id, [NewDelivery(slot.marker, [], SKIPPED)], now)
                report.skipped.append(label)
                continue
            planned = planner.plan(store, plan_id, slot)
            store.deliveries.add(plan_id, [*planned, NewDelivery(slot.marker, [], PLANNED)], now)
            report.planned.append(f"{label} ({len(planned)})")
        while batch := store.deliveries.claim(plan_id, clock(), CLAIM_LEASE, CLAIM_BATCH, now):
            for delivery in batch:
                # A Red alert is planned when it is news (within a day), not at a send time.
                due_at = calendar.send_at(delivery.key.slot_date)
                if delivery.key.kind != RED_ALERT and now - due_at > grace:
                    log.error("giving up %s to %s: still unsent past the catch-up limit",
                              delivery.key.kind, delivery.key.recipient)  # fmt: skip
                    store.deliveries.give_up(delivery, "past the catch-up limit")
                    SENDS.labels(delivery.key.kind, Outcome.FAILED.value).inc()
                    report.outcomes[Outcome.FAILED] += 1
                    continue
                outcome = send(client, store.deliveries, delivery, clock)
                SENDS.labels(delivery.key.kind, outcome.value).inc()
                report.outcomes[outcome] += 1
    return report
