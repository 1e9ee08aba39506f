"""A workspace's own settings (``plan.workspaces``) in the ``workspace_settings`` table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from plan.workspaces import WorkspaceSettings
from storage.tables import PlanRow, WorkspaceSettingsRow


def plan_teams(session: Session) -> list[str]:
    return list(session.scalars(select(PlanRow.team_id).order_by(PlanRow.id)))


def read(session: Session, team_id: str) -> WorkspaceSettings:
    row = session.get(WorkspaceSettingsRow, team_id)
    if row is None:
        return WorkspaceSettings(team_id)
    return WorkspaceSettings(
        team_id,
        digest_channels=_ids(row.digest_channels),
        governance_channel=row.governance_channel or None,
        management_channel=row.management_channel or None,
        red_alert_channel=row.red_alert_channel or None,
        admins=frozenset(_ids(row.admins)),
    )


def save(session: Session, settings: WorkspaceSettings, now: dt.datetime) -> None:
    """Insert or replace; a concurrent save of the same workspace waits on the row (PostgreSQL)
    or the database (SQLite), and the last to commit wins whole."""
    row = session.get(WorkspaceSettingsRow, settings.team_id, with_for_update=True)
    if row is None:
        row = WorkspaceSettingsRow(team_id=settings.team_id)
        session.add(row)
    row.digest_channels = ",".join(settings.digest_channels)
    row.governance_channel = settings.governance_channel
    row.management_channel = settings.management_channel
    row.red_alert_channel = settings.red_alert_channel
    row.admins = ",".join(sorted(settings.admins))
    row.updated_at = now
    session.flush()


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)
