"""Issue 12, staff lists and statistics: what a table is broken down by — the first proposer's
name, sector, party and committees on the member projection, the sectors' and committees' names —
and the organizations with their parents (a parent's office sees its children's statistics).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("members", sa.Column("name", sa.Text(), nullable=True))
    op.add_column("members", sa.Column("sector_id", sa.Uuid(), nullable=True))
    op.add_column("members", sa.Column("party", sa.Text(), nullable=True))
    op.add_column(
        "members",
        sa.Column(
            "committee_ids", postgresql.ARRAY(sa.Uuid()), server_default=sa.text("'{}'"), nullable=False
        ),
    )
    op.create_table(
        "organizations",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_organizations")),
    )
    op.create_index("ix_organizations_parent", "organizations", ["parent_id"])
    op.create_table(
        "sectors",
        sa.Column("sector_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sector_id", name=op.f("pk_sectors")),
    )
    op.create_table(
        "committees",
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("committee_id", name=op.f("pk_committees")),
    )
    # The office's list sorts and filters by submission time (year, session window).
    op.create_index("ix_proposals_org_submitted", "proposals", ["org_id", "submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_proposals_org_submitted", table_name="proposals")
    op.drop_table("committees")
    op.drop_table("sectors")
    op.drop_index("ix_organizations_parent", table_name="organizations")
    op.drop_table("organizations")
    for column in ("committee_ids", "party", "sector_id", "name"):
        op.drop_column("members", column)
