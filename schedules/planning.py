"""What should be sent for a slot (a kind of message on a day), as delivery records.

Sends are data: for each slot csip works out, from the plan, who gets what, and writes one
delivery record per message together with a marker saying the slot is planned. A later tick, a
restart or another replica sees the marker and plans nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.directory import SlackDirectory, resolve_slack_id
from csip.settings import Settings
from plan.calendar import WorkingCalendar
from plan.digest import build_digest, exemption_lines
from plan.history import rewind
from plan.model import Person, PlanView, Rag
from plan.reminders import ReminderRules, by_lead, escalations, owner_notices
from schedules import messages
from storage.deliveries import PENDING, UNREACHABLE, DeliveryKey, NewDelivery
from storage.store import SqlPlanStore

OWNER_REMINDER = "owner_reminder"
LEAD_ESCALATION = "lead_escalation"
MANAGEMENT_ESCALATION = "management_escalation"
DIGEST = "digest"
EXEMPTION = "exemption"
PLANNED = "planned"  # the status of a slot's marker


@dataclass(frozen=True)
class Slot:
    kind: str
    day: dt.date
    at: dt.datetime  # UTC

    @property
    def marker(self) -> DeliveryKey:
        return DeliveryKey(f"planned:{self.kind}", "", "", self.day)


def latest_slots(now: dt.datetime, calendar: WorkingCalendar, settings: Settings) -> list[Slot]:
    """The most recent slot of every kind that is switched on, as at ``now``."""
    daily = calendar.latest_daily_slot(now)
    days = {OWNER_REMINDER: daily, LEAD_ESCALATION: daily}
    if settings.management_channel:
        days[MANAGEMENT_ESCALATION] = daily
    if settings.digest_channels:
        days[DIGEST] = calendar.latest_weekly_slot(now, settings.digest_weekday)
    if settings.governance_channel:
        days[EXEMPTION] = calendar.latest_monthly_slot(now)
    return [Slot(kind, day, calendar.send_at(day)) for kind, day in days.items()]


def rules_from(settings: Settings) -> ReminderRules:
    return ReminderRules(
        remind_before=settings.remind_before_working_days,
        escalate_to_lead_after=settings.escalate_to_lead_after,
        escalate_to_management_after=settings.escalate_to_management_after,
        stale_after_days=settings.stale_after_days,
    )


class Planner:
    """Builds the delivery records for one slot. ``directory`` is None in previews: no Slack."""

    def __init__(
        self, settings: Settings, calendar: WorkingCalendar, directory: SlackDirectory | None
    ) -> None:
        self.settings = settings
        self.calendar = calendar
        self.directory = directory
        self.rules = rules_from(settings)

    def plan(self, store: SqlPlanStore, view: PlanView, slot: Slot) -> list[NewDelivery]:
        build = {
            OWNER_REMINDER: self._owner_reminders,
            LEAD_ESCALATION: self._lead_escalations,
            MANAGEMENT_ESCALATION: self._management_escalation,
            DIGEST: self._digest,
            EXEMPTION: self._exemption,
        }[slot.kind]
        return build(store, view, slot)

    def _owner_reminders(self, store: SqlPlanStore, view: PlanView, slot: Slot) -> list[NewDelivery]:
        snoozed = store.snoozed(view.plan_id, slot.day)
        notices = owner_notices(view, slot.day, self.calendar, self.rules, snoozed)
        return [
            self._to_person(
                store, view, view.people[n.owner_id], slot, messages.owner_reminder(n, view, slot.day)
            )
            for n in notices
        ]

    def _lead_escalations(self, store: SqlPlanStore, view: PlanView, slot: Slot) -> list[NewDelivery]:
        after = self.settings.escalate_to_lead_after
        items = escalations(view, slot.day, self.calendar, after)
        return [
            self._to_person(
                store, view, view.people[lead], slot, messages.escalation(group, view, slot.day, after)
            )
            for lead, group in sorted(by_lead(view, items).items())
        ]

    def _management_escalation(self, store: SqlPlanStore, view: PlanView, slot: Slot) -> list[NewDelivery]:
        after = self.settings.escalate_to_management_after
        items = escalations(view, slot.day, self.calendar, after)
        channel = self.settings.management_channel
        if not items or not channel:
            return []
        message = messages.escalation(items, view, slot.day, after)
        return [_to_channel(slot, channel, [message])]

    def _digest(self, store: SqlPlanStore, view: PlanView, slot: Slot) -> list[NewDelivery]:
        # "What moved" needs the plan a week ago: only what changed in the week is read.
        week_ago = rewind(view, store.changed_since(view.plan_id, slot.at - dt.timedelta(days=7)))
        summary = build_digest(view, week_ago, slot.day, self.unreachable_owners(store, view))
        head, *lists = messages.digest(summary, view)
        from reports.charts import priority_chart  # matplotlib: only when a digest is due

        chart = messages.chart_upload(priority_chart(summary.priorities, slot.day), slot.day)
        return [
            _to_channel(slot, channel, [head, chart, *lists]) for channel in self.settings.digest_channels
        ]

    def _exemption(self, store: SqlPlanStore, view: PlanView, slot: Slot) -> list[NewDelivery]:
        channel = self.settings.governance_channel
        assert channel
        parts = messages.exemption_report(exemption_lines(view, slot.day), view, slot.day)
        return [_to_channel(slot, channel, parts)]

    def unreachable_owners(self, store: SqlPlanStore, view: PlanView) -> set[int]:
        """Owners of open actions csip cannot match to a Slack user."""
        owners = {a.owner_id for a in view.actions.values() if a.rag is not Rag.COMPLETE and a.owner_id}
        return {owner for owner in owners if self._slack_id(store, view, view.people[owner]) is None}

    def _slack_id(self, store: SqlPlanStore, view: PlanView, person: Person) -> str | None:
        if person.slack_user_id or self.directory is None:
            return person.slack_user_id
        return resolve_slack_id(store, self.directory, view.plan_id, person).slack_user_id

    def _to_person(
        self, store: SqlPlanStore, view: PlanView, person: Person, slot: Slot, message: dict[str, Any]
    ) -> NewDelivery:
        """A direct message (posted to the user id); one to nobody in Slack is recorded unreachable."""
        user_id = self._slack_id(store, view, person)
        key = DeliveryKey(slot.kind, f"person:{person.id}", "", slot.day)
        if user_id is None:
            return NewDelivery(key, [message], status=UNREACHABLE)
        return NewDelivery(key, [{**message, "channel": user_id}], status=PENDING)


def _to_channel(slot: Slot, channel: str, parts: list[dict[str, Any]]) -> NewDelivery:
    key = DeliveryKey(slot.kind, f"channel:{channel}", "", slot.day)
    return NewDelivery(key, [{**part, "channel": channel} for part in parts])
