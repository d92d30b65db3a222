"""Issue 12, public-opinion reports (社情民意信息, DOMAIN.md §3; rules 7, 27, 28): the report with its
highest adoption and instruction, the organization's report values (`opinion_policies`), its history (every edit with before and after), and the office's
record of adoptions, forwards, leaders' instructions and feedback.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _record_table(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        *columns,
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["opinion_reports.id"], name=op.f(f"fk_{name}_report_id_opinion_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_report", name, ["report_id", "at"])


def upgrade() -> None:
    op.create_table(
        "opinion_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("converted_from_proposal_id", sa.Uuid(), nullable=True),
        sa.Column("adoption_level", sa.String(length=20), nullable=True),
        sa.Column("adoption_mode", sa.String(length=20), nullable=True),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("instruction_level", sa.String(length=20), nullable=True),
        sa.Column("not_adopted_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["converted_from_proposal_id"],
            ["proposals.id"],
            name=op.f("fk_opinion_reports_converted_from_proposal_id_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_reports")),
    )
    op.create_index("ix_opinion_reports_org_status", "opinion_reports", ["org_id", "status", "created_at"])
    op.create_index("ix_opinion_reports_author", "opinion_reports", ["author_id", "created_at"])
    op.create_index(
        "ux_opinion_reports_converted_from",
        "opinion_reports",
        ["converted_from_proposal_id"],
        unique=True,
        postgresql_where=sa.text("converted_from_proposal_id IS NOT NULL"),
    )
    op.create_table(
        "opinion_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["opinion_reports.id"], name=op.f("fk_opinion_history_report_id_opinion_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_history")),
    )
    op.create_index("ix_opinion_history_report", "opinion_history", ["report_id", "at"])
    op.create_table(
        "opinion_policies",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_opinion_policies")),
    )
    _record_table(
        "opinion_adoptions",
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("adopted_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    _record_table(
        "opinion_forwards",
        sa.Column("recipient_kind", sa.String(length=30), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
    )
    _record_table(
        "opinion_instructions",
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("leader", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("instructed_on", sa.Date(), nullable=False),
    )
    _record_table(
        "opinion_feedback",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    for name in ("opinion_feedback", "opinion_instructions", "opinion_forwards", "opinion_adoptions"):
        op.drop_table(name)
    op.drop_table("opinion_policies")
    op.drop_table("opinion_history")
    op.drop_table("opinion_reports")
