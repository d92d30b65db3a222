"""The member records projection (member-svc's member events): who an organization's current
members are, the audience of what is told to them all (the published consultation plan).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_records",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("term_starts_on", sa.Date(), nullable=True),
        sa.Column("term_ends_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_records")),
    )
    op.create_index("ix_member_records_org", "member_records", ["org_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_member_records_org", table_name="member_records")
    op.drop_table("member_records")
