"""the London day each RAG was last confirmed, kept with the action's state

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

The stale-RAG reminder picks actions by the London day their RAG was last set or confirmed; kept
as a date, the scheduler finds them in SQL. The index of versions by when they ended now holds
only ended versions, and a plan's current states get an index of their own, so that SQLite,
which plans without statistics, reads current states through the indexes made for them. Every
state is then written again from the history (the application's own fold, which fills the new
column), as 0003's table is first filled here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("valid_until IS NULL")
ENDED = sa.text("valid_until IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("action_states") as batch_op:
        batch_op.add_column(sa.Column("rag_confirmed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("action_states") as batch_op:
        batch_op.create_index(
            "ix_action_states_current_confirmed",
            ["plan_id", "rag_confirmed_on"],
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        )
        batch_op.create_index(
            "ix_action_states_current_plan", ["plan_id"], sqlite_where=CURRENT, postgresql_where=CURRENT
        )
        batch_op.drop_index("ix_action_states_plan_until")
        batch_op.create_index(
            "ix_action_states_plan_until",
            ["plan_id", "valid_until"],
            sqlite_where=ENDED,
            postgresql_where=ENDED,
        )
    _backfill()


def _backfill() -> None:
    """Fold every action's history into its versions (the application's own fold)."""
    from sqlalchemy.orm import Session

    from storage.states import rebuild, recount

    session = Session(bind=op.get_bind())
    plans = session.execute(sa.text("SELECT DISTINCT plan_id FROM actions")).scalars().all()
    for plan_id in plans:
        ids = (
            session.execute(
                sa.text("SELECT id FROM actions WHERE plan_id = :plan ORDER BY id"), {"plan": plan_id}
            )
            .scalars()
            .all()
        )
        rebuild(session, plan_id, ids)
        recount(session, plan_id)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("action_states") as batch_op:
        batch_op.drop_index("ix_action_states_plan_until")
        batch_op.create_index("ix_action_states_plan_until", ["plan_id", "valid_until"])
        batch_op.drop_index("ix_action_states_current_plan")
        batch_op.drop_index("ix_action_states_current_confirmed")
        batch_op.drop_column("rag_confirmed_on")
