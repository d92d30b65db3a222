"""The co-sign deadline scanner's index: open invitations by their deadline (rule 4).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_proposal_proposers_open_invitations",
        "proposal_proposers",
        ["respond_by"],
        postgresql_where=sa.text("status = 'invited' AND respond_by IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_proposal_proposers_open_invitations", table_name="proposal_proposers")
