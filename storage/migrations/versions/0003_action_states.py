"""action states kept beside the history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Each action's states (what its history folds to, from one instant to the next) are kept in
``action_states`` so that reads never fold the history. They are filled in from
``action_events`` by 0004, with the same fold the application uses, once the table has every
column that fold writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("valid_until IS NULL")


def upgrade() -> None:
    op.create_table(
        "action_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("original_due_date", sa.Date(), nullable=True),
        sa.Column("rag", sa.String(length=16), nullable=True),
        sa.Column("rag_note", sa.Text(), nullable=True),
        sa.Column("rag_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rag_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_update_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_note", sa.Text(), nullable=True),
        sa.Column("times_rescheduled", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_action_states_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_action_states_action_id_actions")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["people.id"], name=op.f("fk_action_states_owner_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_states")),
    )
    with op.batch_alter_table("action_states") as batch_op:
        current = {"sqlite_where": CURRENT, "postgresql_where": CURRENT}
        batch_op.create_index("uq_action_states_current", ["action_id"], unique=True, **current)
        batch_op.create_index("ix_action_states_current_owner", ["plan_id", "owner_id"], **current)
        batch_op.create_index("ix_action_states_current_rag_due", ["plan_id", "rag", "due_date"], **current)
        batch_op.create_index("ix_action_states_plan_from", ["plan_id", "valid_from"])
        batch_op.create_index("ix_action_states_plan_until", ["plan_id", "valid_until"])
        batch_op.create_index("ix_action_states_action_from", ["action_id", "valid_from"])
    op.create_table(
        "rag_due_counts",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("span", sa.String(length=5), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("rag", sa.String(length=16), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_rag_due_counts_plan_id_plans")),
        sa.PrimaryKeyConstraint("plan_id", "span", "due_date", "rag", name=op.f("pk_rag_due_counts")),
    )
    with op.batch_alter_table("actions") as batch_op:
        batch_op.create_index("ix_actions_plan_priority", ["plan_id", "priority"])
    with op.batch_alter_table("action_delegates") as batch_op:
        batch_op.create_index("ix_action_delegates_person", ["person_id"])
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.create_index("ix_deliveries_message", ["channel", "slack_ts"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_index("ix_deliveries_message")
    with op.batch_alter_table("action_delegates") as batch_op:
        batch_op.drop_index("ix_action_delegates_person")
    with op.batch_alter_table("actions") as batch_op:
        batch_op.drop_index("ix_actions_plan_priority")
    op.drop_table("rag_due_counts")
    op.drop_table("action_states")
