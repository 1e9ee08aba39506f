"""What should be sent for a slot (a kind of message on a day), as delivery records.

Sends are data: for each slot csip works out, from the plan, who gets what, and writes one
delivery record per message together with a marker saying the slot is planned. A later tick, a
restart or another replica sees the marker and plans nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from bot.directory import SlackDirectory, resolve_slack_id
from plan.calendar import WorkingCalendar
from plan.clock import london_date
from plan.deliveries import PENDING, SKIPPED, UNREACHABLE, DeliveryKey, NewDelivery
from plan.digest import DUE_SOON_DAYS, build_digest
from plan.model import ActionState, Person, PlanView, Rag
from plan.ports import PlanStore, Which
from plan.reminders import (
    Item,
    attention_on,
    by_lead,
    escalation_dates,
    escalations,
    owner_notice,
)
from plan.rules import worst_first
from schedules import messages
from schedules.config import Schedule

OWNER_REMINDER = "owner_reminder"
LEAD_ESCALATION = "lead_escalation"
MANAGEMENT_ESCALATION = "management_escalation"
DIGEST = "digest"
EXEMPTION = "exemption"
RED_ALERT = "red_alert"
ALERT_WINDOW = dt.timedelta(days=1)  # an action gone Red within this is news, once
ALERTS_ONE_BY_ONE = 5  # more gone Red at once (an import) make one message, not a flood
WORKBOOK_ROWS = 2_000  # rows of each list in the digest's workbook: a real plan has hundreds
# (BENCHMARKS.md: at 10,000 a list, reading and writing them was 2.6 s of a 100,000-action digest)


@dataclass(frozen=True)
class Slot:
    kind: str
    day: dt.date
    at: dt.datetime  # UTC

    @property
    def marker(self) -> DeliveryKey:
        return DeliveryKey(f"planned:{self.kind}", "", "", self.day)


def latest_slots(now: dt.datetime, calendar: WorkingCalendar, schedule: Schedule) -> list[Slot]:
    """The most recent slot of every kind that is switched on, as at ``now``."""
    daily = calendar.latest_daily_slot(now)
    days = {OWNER_REMINDER: daily, LEAD_ESCALATION: daily}
    channels = schedule.channels
    if channels.management:
        days[MANAGEMENT_ESCALATION] = daily
    if channels.digest:
        days[DIGEST] = calendar.latest_weekly_slot(now, schedule.digest_weekday)
    if channels.governance:
        days[EXEMPTION] = calendar.latest_monthly_slot(now)
    return [Slot(kind, day, calendar.send_at(day)) for kind, day in days.items()]


class Planner:
    """Builds the delivery records for one slot. ``directory`` is None in previews: no Slack.

    Each message asks storage for what it shows (counts, and the first few of each list with how
    many more), never for the whole plan: a tick runs the same statements at 300 actions as at
    100,000, and reads into Python only what its messages show.
    """

    def __init__(
        self, schedule: Schedule, calendar: WorkingCalendar, directory: SlackDirectory | None
    ) -> None:
        self.channels = schedule.channels
        self.calendar = calendar
        self.directory = directory
        self.rules = schedule.rules

    def plan(self, store: PlanStore, plan_id: int, slot: Slot) -> list[NewDelivery]:
        build = {
            OWNER_REMINDER: self._owner_reminders,
            LEAD_ESCALATION: self._lead_escalations,
            MANAGEMENT_ESCALATION: self._management_escalation,
            DIGEST: self._digest,
            EXEMPTION: self._exemption,
        }[slot.kind]
        return build(store, plan_id, slot)

    def _owner_reminders(self, store: PlanStore, plan_id: int, slot: Slot) -> list[NewDelivery]:
        attention = attention_on(slot.day, self.calendar, self.rules, store.earliest_confirmation(plan_id))
        lists = store.needing_attention(plan_id, attention, messages.MAX_ITEMS, messages.MORE_REFS)
        owners = store.people(plan_id, [shortlist.owner_id for shortlist in lists])
        return [
            self._to_person(
                store,
                plan_id,
                owners[shortlist.owner_id],
                slot,
                messages.owner_reminder(owner_notice(shortlist, attention, self.calendar), slot.day),
            )
            for shortlist in lists
        ]

    def _escalated(
        self, store: PlanStore, plan_id: int, slot: Slot, after: int
    ) -> tuple[PlanView, list[Item]]:
        """The actions reaching ``after`` working days overdue today: only those due on the few
        dates that makes them are read."""
        dates = escalation_dates(slot.day, self.calendar, after)
        view = store.select(plan_id, Which(open_only=True, due_on=dates))
        return view, escalations(view, slot.day, self.calendar, after)

    def _lead_escalations(self, store: PlanStore, plan_id: int, slot: Slot) -> list[NewDelivery]:
        after = self.rules.escalate_to_lead_after
        view, items = self._escalated(store, plan_id, slot, after)
        return [
            self._to_person(
                store, plan_id, view.people[lead], slot, messages.escalation(group, view, slot.day, after)
            )
            for lead, group in sorted(by_lead(view, items).items())
        ]

    def _management_escalation(self, store: PlanStore, plan_id: int, slot: Slot) -> list[NewDelivery]:
        after = self.rules.escalate_to_management_after
        channel = self.channels.management
        view, items = self._escalated(store, plan_id, slot, after)
        if not items or not channel:
            return []
        message = messages.escalation(items, view, slot.day, after)
        return [_to_channel(slot, channel, [message])]

    def _digest(self, store: PlanStore, plan_id: int, slot: Slot) -> list[NewDelivery]:
        day = slot.day
        # "What moved" reads only the actions that went Red or stopped being Red in the week.
        moved, was_red = store.rag_moves(plan_id, Rag.RED, slot.at - dt.timedelta(days=7))
        soon = Which(open_only=True, due_between=(day, day + dt.timedelta(days=DUE_SOON_DAYS)))
        overdue = Which(overdue_on=day, not_rag=Rag.GREEN)
        summary = build_digest(
            day,
            store.tally(plan_id, day),
            store.counts(plan_id, day).by_priority,
            moved,
            was_red,
            store.shortlist(plan_id, Which(rag=Rag.RED), messages.HEAD_LINES),
            store.shortlist(plan_id, soon, messages.LIST_SHOWN),
            store.shortlist(plan_id, overdue, messages.LIST_SHOWN),
            self.unreachable_owners(store, plan_id),
        )
        head, *lists = messages.digest(summary)
        from reports.charts import priority_chart  # matplotlib: only when a digest is due
        from reports.workbook import lists_xlsx  # openpyxl: likewise

        files = [messages.chart_upload(priority_chart(summary.priorities, day), day)]
        if lists:
            # The lists in full, however long: read only for the workbook, a few columns a row.
            full = {
                "Overdue": store.shortlist(plan_id, overdue, WORKBOOK_ROWS),
                "Past due but Green": store.shortlist(
                    plan_id, Which(overdue_on=day, rag=Rag.GREEN), WORKBOOK_ROWS
                ),
                f"Due in {DUE_SOON_DAYS} days": store.shortlist(plan_id, soon, WORKBOOK_ROWS),
            }
            files.append(messages.workbook_upload(lists_xlsx(full, day), day))
        return [_to_channel(slot, channel, [head, *files, *lists]) for channel in self.channels.digest]

    def _exemption(self, store: PlanStore, plan_id: int, slot: Slot) -> list[NewDelivery]:
        channel = self.channels.governance
        if not channel:
            return []
        reds = store.shortlist(plan_id, Which(rag=Rag.RED), messages.REDS_SHOWN)
        return [_to_channel(slot, channel, messages.exemption_report(reds, slot.day))]

    def red_alerts(self, store: PlanStore, plan_id: int, now: dt.datetime) -> list[NewDelivery]:
        """A line for each action gone Red within the day and not yet told, whether from Slack
        or an import; several at once (an import) make one message. Each Red is keyed by when
        it went Red, so it is told once, and again only if it goes Red again."""
        channel = self.channels.red_alert
        if not channel:
            return []
        moved, _ = store.rag_moves(plan_id, Rag.RED, now - ALERT_WINDOW)
        gone_red = [a for a in worst_first(moved.actions.values()) if a.rag is Rag.RED and a.rag_since]
        keys = {a.ref: _alert_key(channel, a) for a in gone_red}
        told = store.deliveries.existing(plan_id, {key.slot_date for key in keys.values()})
        news = [a for a in gone_red if keys[a.ref] not in told]
        if len(news) <= ALERTS_ONE_BY_ONE:
            return [_to_channel_keyed(keys[a.ref], channel, [messages.red_alert(a, moved)]) for a in news]
        refs = ",".join(sorted(a.ref for a in news))
        subject = f"{len(news)} at once:{hashlib.sha1(refs.encode()).hexdigest()[:16]}"
        together = DeliveryKey(RED_ALERT, f"channel:{channel}", subject, london_date(now))
        return [
            _to_channel_keyed(together, channel, [messages.red_alerts(news, moved, london_date(now))]),
            *(NewDelivery(keys[a.ref], [], SKIPPED) for a in news),  # told together: not again
        ]

    def unreachable_owners(self, store: PlanStore, plan_id: int) -> list[Person]:
        """Owners of open actions csip cannot match to a Slack user."""
        return [
            person
            for person in store.owners_not_in_slack(plan_id)
            if self._slack_id(store, plan_id, person) is None
        ]

    def _slack_id(self, store: PlanStore, plan_id: int, person: Person) -> str | None:
        if person.slack_user_id or self.directory is None:
            return person.slack_user_id
        return resolve_slack_id(store, self.directory, plan_id, person).slack_user_id

    def _to_person(
        self, store: PlanStore, plan_id: int, person: Person, slot: Slot, message: dict[str, Any]
    ) -> NewDelivery:
        """A direct message (posted to the user id); one to nobody in Slack is recorded unreachable."""
        user_id = self._slack_id(store, plan_id, person)
        key = DeliveryKey(slot.kind, f"person:{person.id}", "", slot.day)
        if user_id is None:
            return NewDelivery(key, [message], status=UNREACHABLE)
        return NewDelivery(key, [{**message, "channel": user_id}], status=PENDING)


def _to_channel(slot: Slot, channel: str, parts: list[dict[str, Any]]) -> NewDelivery:
    return _to_channel_keyed(DeliveryKey(slot.kind, f"channel:{channel}", "", slot.day), channel, parts)


def _to_channel_keyed(key: DeliveryKey, channel: str, parts: list[dict[str, Any]]) -> NewDelivery:
    return NewDelivery(key, [{**part, "channel": channel} for part in parts])


def _alert_key(channel: str, action: ActionState) -> DeliveryKey:
    """One per action per time it went Red: the ref and that instant, on that London day."""
    went = action.rag_since or dt.datetime.min.replace(tzinfo=dt.UTC)
    return DeliveryKey(
        RED_ALERT, f"channel:{channel}", f"{action.ref}@{went:%Y%m%dT%H%M%S}"[:64], london_date(went)
    )
