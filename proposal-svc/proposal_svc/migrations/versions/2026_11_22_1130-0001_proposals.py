"""Proposals, their history, policies, session windows; messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cppcc_common.messaging_schema import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables_v1()
    op.create_table(
        "proposals",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("org_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("situation", sa.Text, nullable=False),
        sa.Column("suggestions", JSONB, nullable=False),
        sa.Column("suggested_unit", sa.String(100)),
        sa.Column("first_proposer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("submitted_at", TS),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_proposals_org_status", "proposals", ["org_id", "status", "created_at"])
    op.create_index("ix_proposals_first_proposer", "proposals", ["first_proposer_id", "created_at"])
    op.create_table(
        "proposal_history",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "proposal_id",
            UUID(as_uuid=True),
            sa.ForeignKey("proposals.id", name="fk_proposal_history_proposal_id_proposals"),
            nullable=False,
        ),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_proposal_history_proposal", "proposal_history", ["proposal_id", "at"])
    op.create_table(
        "proposal_policies",
        sa.Column("org_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("values", JSONB, nullable=False),
    )
    op.create_table(
        "session_windows",
        sa.Column("session_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("org_id", UUID(as_uuid=True), nullable=False),
        sa.Column("opens_at", TS, nullable=False),
        sa.Column("closes_at", TS, nullable=False),
    )
    op.create_index("ix_session_windows_org", "session_windows", ["org_id", "opens_at"])


def downgrade() -> None:
    for table in ("session_windows", "proposal_policies", "proposal_history", "proposals"):
        op.drop_table(table)
    drop_messaging_tables_v1()
