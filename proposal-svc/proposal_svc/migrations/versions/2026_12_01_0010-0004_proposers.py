"""The proposers of each proposal: the first proposer, and co-signers with their answer (rule 4).

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
    op.create_table(
        "proposal_proposers",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_from_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_proposal_proposers_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "person_id", name=op.f("pk_proposal_proposers")),
    )
    op.create_index("ix_proposal_proposers_person", "proposal_proposers", ["person_id", "status"])
    # Every existing proposal's first proposer is its first (confirmed) proposer.
    op.execute(
        "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status, responded_at) "
        "SELECT id, first_proposer_id, 'first', 0, 'confirmed', created_at FROM proposals"
    )


def downgrade() -> None:
    op.drop_index("ix_proposal_proposers_person", table_name="proposal_proposers")
    op.drop_table("proposal_proposers")
