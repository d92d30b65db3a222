"""When the scanner closes a notified activity (its end plus the policy's hours).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("close_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_activities_close_at", "activities", ["close_at"], postgresql_where="close_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_activities_close_at", table_name="activities")
    op.drop_column("activities", "close_at")
