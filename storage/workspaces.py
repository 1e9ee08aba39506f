"""A workspace's own settings (``plan.workspaces``) in the ``workspace_settings`` table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plan.workspaces import WorkspaceSettings
from storage.tables import PlanRow, WorkspaceSettingsRow


def plan_teams(session: Session) -> list[str]:
    return list(session.scalars(select(PlanRow.team_id).order_by(PlanRow.id)))


def read(session: Session, team_id: str) -> WorkspaceSettings:
    row = session.get(WorkspaceSettingsRow, team_id)
    return WorkspaceSettings(team_id) if row is None else _settings(row)


def change(
    session: Session,
    team_id: str,
    changed: Callable[[WorkspaceSettings], WorkspaceSettings],
    now: dt.datetime,
) -> WorkspaceSettings:
    """Apply ``changed`` to the settings as they stand, holding them until the commit: two
    admins changing two settings at once both land. The row is first made if absent (a no-op
    when another transaction made it: that one's commit is waited for), which on SQLite takes
    the database's write lock; on PostgreSQL the row is then read ``FOR UPDATE``."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    blank = {"team_id": team_id, "digest_channels": "", "admins": "", "updated_at": now}
    session.execute(dialect.insert(WorkspaceSettingsRow).values(blank).on_conflict_do_nothing())
    row = session.get(WorkspaceSettingsRow, team_id, with_for_update=True, populate_existing=True)
    if row is None:  # made just above, or by another transaction that committed it first
        raise RuntimeError(f"the settings row of workspace {team_id} was not there to change")
    settings = changed(_settings(row))
    row.digest_channels = ",".join(settings.digest_channels)
    row.governance_channel = settings.governance_channel
    row.management_channel = settings.management_channel
    row.red_alert_channel = settings.red_alert_channel
    row.admins = ",".join(sorted(settings.admins))
    row.updated_at = now
    session.flush()
    return settings


def _settings(row: WorkspaceSettingsRow) -> WorkspaceSettings:
    return WorkspaceSettings(
        row.team_id,
        digest_channels=_ids(row.digest_channels),
        governance_channel=row.governance_channel or None,
        management_channel=row.management_channel or None,
        red_alert_channel=row.red_alert_channel or None,
        admins=frozenset(_ids(row.admins)),
    )


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)
