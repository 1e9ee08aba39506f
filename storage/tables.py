"""The database schema as SQLAlchemy 2 typed models. Alembic migrations create it.

Actions keep only their fixed facts; owner, due date and RAG live in ``action_events``, the
append-only history, which is the truth. ``action_states`` keeps what that history folds to
(``plan.history.versions``), written in the same transaction as the events, so that reads never
fold: the current state is the row with no ``valid_until``; the plan as at any instant is the
row whose validity covers it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: csip stores UTC instants only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PlanRow(Base):
    """One plan per Slack workspace (team id)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("plan_id", "email", name="uq_people_plan_email"),
        UniqueConstraint("plan_id", "slack_user_id", name="uq_people_plan_slack_user_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    slack_user_id: Mapped[str | None] = mapped_column(String(32))


class PriorityRow(Base):
    __tablename__ = "priorities"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_priorities_plan_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class ActionRow(Base):
    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("plan_id", "ref", name="uq_actions_plan_ref"),
        Index("ix_actions_plan_priority", "plan_id", "priority"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    ref: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer)
    # Ofsted recommendation numbers the action serves, comma separated ("4,7").
    recommendations: Mapped[str] = mapped_column(String(200), default="")


class DelegateRow(Base):
    __tablename__ = "action_delegates"
    __table_args__ = (Index("ix_action_delegates_person", "person_id"),)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class EventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "action_events"
    __table_args__ = (Index("ix_action_events_plan_effective", "plan_id", "effective_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    kind: Mapped[str] = mapped_column(String(16))
    rag: Mapped[str | None] = mapped_column(String(16))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


CURRENT = text("valid_until IS NULL")


ENDED = text("valid_until IS NOT NULL")


def _current(name: str, *columns: str, unique: bool = False) -> Index:
    """An index of current states only: what commands about the plan as it stands look up."""
    return Index(name, *columns, unique=unique, sqlite_where=CURRENT, postgresql_where=CURRENT)


class StateRow(Base):
    """One version of an action: its state from ``valid_from`` until ``valid_until`` (None: now).

    Derived from ``action_events`` and rewritten from them whenever an event is backfilled
    before the latest; ``tests/test_states.py`` rebuilds every state from the history and compares.
    """

    __tablename__ = "action_states"
    __table_args__ = (
        _current("uq_action_states_current", "action_id", unique=True),
        _current("ix_action_states_current_owner", "plan_id", "owner_id"),
        _current("ix_action_states_current_rag_due", "plan_id", "rag", "due_date"),
        Index("ix_action_states_plan_from", "plan_id", "valid_from"),
        _current("ix_action_states_current_confirmed", "plan_id", "rag_confirmed_on"),
        # A plan's current states in the order they were written, for questions that read most
        # of them (the overdue, the counts): SQLite then reads the table in order.
        _current("ix_action_states_current_plan", "plan_id"),
        # Versions that have ended only: an index that also held the current ones would tempt
        # SQLite (without statistics) away from the indexes made for current states.
        Index(
            "ix_action_states_plan_until",
            "plan_id",
            "valid_until",
            sqlite_where=ENDED,
            postgresql_where=ENDED,
        ),
        Index("ix_action_states_action_from", "action_id", "valid_from"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    valid_from: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    event_id: Mapped[int | None] = mapped_column(Integer)  # the last event folded in
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    original_due_date: Mapped[dt.date | None] = mapped_column(Date)
    rag: Mapped[str | None] = mapped_column(String(16))
    rag_note: Mapped[str | None] = mapped_column(Text)
    rag_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    rag_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Its London day: what the stale-RAG reminder compares, so the day's stale actions are
    # found in SQL by date (a UTC instant's London day needs a time-zone table SQLite lacks).
    rag_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    last_update_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_note: Mapped[str | None] = mapped_column(Text)
    times_rescheduled: Mapped[int] = mapped_column(Integer, default=0)


UNDATED = dt.date(9999, 12, 31)  # rag_due_counts' due date for actions with none (a key cannot be NULL)
UNRATED = ""  # its RAG for actions not yet rated


BY_DAY, BY_MONTH = "day", "month"


class CountRow(Base):
    """How many actions, as they stand, have each RAG and are due on each day (``span`` "day")
    and in each month (``span`` "month", ``due_date`` its first day). Kept with the states, so
    the plan's totals on a day sum the month rows and that month's day rows: a few dozen rows
    however many actions the plan has and however its due dates spread."""

    __tablename__ = "rag_due_counts"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    span: Mapped[str] = mapped_column(String(5), primary_key=True)
    due_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    rag: Mapped[str] = mapped_column(String(16), primary_key=True)
    actions: Mapped[int] = mapped_column(Integer)


class DeliveryRow(Base):
    """One scheduled message, claimed before it is sent and marked delivered after Slack's ok.

    The unique key (kind, recipient, subject, slot date) is what makes a send happen once:
    a second tick, a restart or another replica finds the row already there.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "recipient", "subject", "slot_date", name="uq_deliveries_key"),
        Index("ix_deliveries_status", "status"),
        Index("ix_deliveries_message", "channel", "slack_ts"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), default="")
    slot_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    # JSON list of chat.postMessage payloads: the first is the message, the rest its thread.
    messages: Mapped[str] = mapped_column(Text)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    claim: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Set before a post whose answer may not come back (a timeout): the next sender looks for
    # the message in Slack before posting it again. Cleared once the part's fate is known.
    unsure_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class SnoozeRow(Base):
    """An owner asked not to be reminded about an action until a date."""

    __tablename__ = "snoozes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    until: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SeenRequestRow(Base):
    """The signature of a signed Slack request accepted at ``seen_at``: the same one again is a
    replay. Kept only for as long as a signature's timestamp is accepted."""

    __tablename__ = "seen_requests"
    __table_args__ = (Index("ix_seen_requests_seen_at", "seen_at"),)
    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WorkspaceSettingsRow(Base):
    """What a workspace's administrators set (``plan.workspaces``): its channels and admins.
    Lists are kept as comma-separated ids; an empty text or NULL is unset.

    The tables of Slack's installations (``slack_installations``, ``slack_bots``) and of the
    install flow's states (``slack_oauth_states``) are slack_sdk's own: migration 0007 creates
    them as its SQLAlchemy stores describe them, and ``tests/test_install.py`` holds the two
    to each other. Nothing in csip reads them but those stores."""

    __tablename__ = "workspace_settings"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest_channels: Mapped[str] = mapped_column(Text, default="")
    governance_channel: Mapped[str | None] = mapped_column(String(32))
    management_channel: Mapped[str | None] = mapped_column(String(32))
    red_alert_channel: Mapped[str | None] = mapped_column(String(32))
    admins: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
