"""Delivery records in SQL: ``plan.deliveries.Deliveries``, sending each scheduled message once.

A claim is one UPDATE over a few rows picked with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite, with its single writer, ignores the clause), stamped with a claim token: two replicas
ticking at once each get different rows, never the same one. Renewing a claim checks the token,
so a sender whose claim lapsed and was taken over stops rather than posting too.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, and_, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plan.deliveries import DELIVERED, FAILED, PENDING, SENDING, Delivery, DeliveryKey, Message, NewDelivery
from storage.tables import DeliveryRow, UtcDateTime


class SqlDeliveries:
    """Shares the store's session: each writing call commits it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def existing(self, plan_id: int, slot_dates: Iterable[dt.date]) -> set[DeliveryKey]:
        rows = self.session.execute(
            select(DeliveryRow.kind, DeliveryRow.recipient, DeliveryRow.subject, DeliveryRow.slot_date).where(
                DeliveryRow.plan_id == plan_id, DeliveryRow.slot_date.in_(set(slot_dates))
            )
        )
        return {DeliveryKey(*row) for row in rows}

    def add(self, plan_id: int, deliveries: Sequence[NewDelivery], now: dt.datetime) -> None:
        """Insert the ones not there yet; a row another process added first is left alone."""
        if not deliveries:
            return
        values = [
            {
                "plan_id": plan_id,
                "kind": d.key.kind,
                "recipient": d.key.recipient,
                "subject": d.key.subject,
                "slot_date": d.key.slot_date,
                "status": d.status,
                "messages": json.dumps(list(d.messages)),
                "parts_sent": 0,
                "attempts": 0,
                "created_at": now,
            }
            for d in deliveries
        ]
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(DeliveryRow).values(values).on_conflict_do_nothing()
        self.session.execute(statement)
        self.session.commit()

    def claim(
        self, plan_id: int, now: dt.datetime, lease: dt.timedelta, limit: int, tick_start: dt.datetime
    ) -> list[Delivery]:
        """Take a few pending deliveries, and any whose sender vanished over ``lease`` ago."""
        token = str(uuid.uuid4())
        untried = or_(DeliveryRow.claimed_at.is_(None), DeliveryRow.claimed_at < tick_start)
        claimable = (
            select(DeliveryRow.id)
            .where(
                DeliveryRow.plan_id == plan_id,
                or_(
                    and_(DeliveryRow.status == PENDING, untried),
                    and_(DeliveryRow.status == SENDING, DeliveryRow.claimed_at < now - lease),
                ),
            )
            .order_by(DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(claimable.scalar_subquery()))
            .values(status=SENDING, claim=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()
        rows = self.session.scalars(
            select(DeliveryRow).where(DeliveryRow.claim == token).order_by(DeliveryRow.id)
        ).all()
        return [_delivery(row) for row in rows]

    def posting(self, delivery: Delivery, now: dt.datetime) -> bool:
        """Renew the claim and mark the delivery unsure, in one statement that checks the claim."""
        first_try = func.coalesce(DeliveryRow.unsure_since, literal(now, UtcDateTime()))
        return self._claimed(delivery, claimed_at=now, unsure_since=first_try)

    def part_sent(self, delivery: Delivery, parts_sent: int, channel: str, ts: str | None) -> bool:
        """Remember progress so that a retry carries on after the parts already posted."""
        values: dict[str, Any] = {"parts_sent": parts_sent, "channel": channel, "unsure_since": None}
        if ts is not None:
            values["slack_ts"] = ts
        return self._claimed(delivery, **values)

    def delivered(self, delivery: Delivery, now: dt.datetime) -> bool:
        return self._claimed(delivery, status=DELIVERED, delivered_at=now, claim=None)

    def retry_later(self, delivery: Delivery, error: str, *, unsure: bool = False) -> bool:
        values: dict[str, Any] = {} if unsure else {"unsure_since": None}
        return self._claimed(
            delivery,
            status=PENDING,
            claim=None,
            last_error=error[:200],
            attempts=DeliveryRow.attempts + 1,
            **values,
        )

    def give_up(self, delivery: Delivery, error: str) -> bool:
        return self._claimed(delivery, status=FAILED, claim=None, last_error=error[:200], unsure_since=None)

    def _claimed(self, delivery: Delivery, **values: Any) -> bool:
        """Change the delivery if ``delivery``'s claim still holds it; say whether it did."""
        changed = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery.id, DeliveryRow.claim == delivery.claim)
            .values(**values)
            .returning(DeliveryRow.id)
        ).first()
        self.session.commit()
        return changed is not None

    def replace_messages(self, delivery_id: int, messages: list[Message]) -> None:
        self._set(delivery_id, messages=json.dumps(messages))

    def _set(self, delivery_id: int, **values: Any) -> None:
        self.session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))
        self.session.commit()

    def find_by_message(self, channel: str, ts: str) -> Delivery | None:
        """The delivery whose first message Slack knows as (channel, ts): a reminder being acted on."""
        row = self.session.scalar(
            select(DeliveryRow).where(DeliveryRow.channel == channel, DeliveryRow.slack_ts == ts)
        )
        return _delivery(row) if row else None


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        key=DeliveryKey(row.kind, row.recipient, row.subject, row.slot_date),
        messages=json.loads(row.messages),
        parts_sent=row.parts_sent,
        channel=row.channel,
        slack_ts=row.slack_ts,
        attempts=row.attempts,
        claim=row.claim,
        unsure_since=row.unsure_since,
    )


def deliveries_by_status(engine: Engine, statuses: Sequence[str]) -> dict[str, int]:
    """How many deliveries have each of ``statuses``, over every plan: one grouped count, for
    the metrics scraped from every replica alike."""
    query = (
        select(DeliveryRow.status, func.count())
        .where(DeliveryRow.status.in_(list(statuses)))
        .group_by(DeliveryRow.status)
    )
    with engine.connect() as connection:
        counted = {str(status): int(n) for status, n in connection.execute(query)}
    return {status: counted.get(status, 0) for status in statuses}


def database_answers(engine: Engine) -> bool:
    """One trivial query: the database is there and answering (for /readyz)."""
    with engine.connect() as connection:
        return connection.execute(select(literal(1))).scalar() == 1
