"""Review and key proposals (issue 9): the filing number and its per-series counter, not filed
(reason, disposition, the future opinion report), merged into, key designation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("proposals", sa.Column("filing_series", sa.String(length=60), nullable=True))
    op.add_column("proposals", sa.Column("filing_number", sa.Integer(), nullable=True))
    op.add_column("proposals", sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("proposals", sa.Column("not_filed_reason", sa.Text(), nullable=True))
    op.add_column("proposals", sa.Column("not_filed_disposition", sa.String(length=20), nullable=True))
    op.add_column("proposals", sa.Column("opinion_report_id", sa.Uuid(), nullable=True))
    op.add_column("proposals", sa.Column("merged_into_id", sa.Uuid(), nullable=True))
    op.add_column("proposals", sa.Column("is_key", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("proposals", sa.Column("key_meeting", sa.String(length=200), nullable=True))
    op.add_column("proposals", sa.Column("key_meeting_on", sa.Date(), nullable=True))
    op.add_column("proposals", sa.Column("key_supervisor_ids", sa.ARRAY(sa.Uuid()), nullable=True))
    op.create_foreign_key(
        op.f("fk_proposals_merged_into_id_proposals"), "proposals", "proposals", ["merged_into_id"], ["id"]
    )
    # A number is given once per organization and series (the database's guarantee behind the counter).
    op.create_unique_constraint(
        op.f("uq_proposals_org_id"), "proposals", ["org_id", "filing_series", "filing_number"]
    )
    op.create_index(
        "ix_proposals_key_supervisors", "proposals", ["key_supervisor_ids"], postgresql_using="gin"
    )
    op.create_table(
        "proposal_number_counters",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("series", sa.String(length=60), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "series", name=op.f("pk_proposal_number_counters")),
    )


def downgrade() -> None:
    op.drop_table("proposal_number_counters")
    op.drop_index("ix_proposals_key_supervisors", table_name="proposals")
    op.drop_constraint(op.f("uq_proposals_org_id"), "proposals", type_="unique")
    op.drop_constraint(op.f("fk_proposals_merged_into_id_proposals"), "proposals", type_="foreignkey")
    for column in (
        "key_supervisor_ids",
        "key_meeting_on",
        "key_meeting",
        "is_key",
        "merged_into_id",
        "opinion_report_id",
        "not_filed_disposition",
        "not_filed_reason",
        "filed_at",
        "filing_number",
        "filing_series",
    ):
        op.drop_column("proposals", column)
