"""Issue 9, gaps: the evaluation window is a deadline row (rule 16: the scanner settles it once);
a step of a proposal's history may be the system's (no actor).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A step the system takes (the window scanner's conclusion) has no actor.
    op.alter_column("proposal_history", "actor_id", nullable=True)
    op.add_column("evaluation_windows", sa.Column("settled_at", TS, nullable=True))
    op.drop_index("ix_evaluation_windows_closes_at", table_name="evaluation_windows")
    op.create_index(
        "ix_evaluation_windows_due",
        "evaluation_windows",
        ["closes_at"],
        postgresql_where=sa.text("settled_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_windows_due", table_name="evaluation_windows")
    op.create_index("ix_evaluation_windows_closes_at", "evaluation_windows", ["closes_at"])
    op.drop_column("evaluation_windows", "settled_at")
    op.execute("DELETE FROM proposal_history WHERE actor_id IS NULL")
    op.alter_column("proposal_history", "actor_id", nullable=False)
