"""when a delivery's next post may have landed unseen, so that it is looked for before resending

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

A post that times out may still have reached Slack. The delivery keeps the time it was first
tried; whoever sends it next looks in the conversation since then before posting it again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("unsure_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("unsure_since")
