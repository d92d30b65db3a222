"""Outcomes: the units projection (from member-svc), outcomes, their history, leaders'
instructions, the responsible department's feedback, follow-up notes and the feedback deadlines
(rule 22). Outcome attachments use the shared `attachments` table (owner_type `outcome`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _outcome_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["outcome_id"], ["outcomes.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_units")),
    )
    op.create_table(
        "unit_users",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "person_id", name=op.f("pk_unit_users")),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", JSONB(), nullable=False),
        sa.Column("responsible_unit_id", sa.Uuid(), nullable=True),
        sa.Column("responsible_name", sa.Text(), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("feedback_due_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_outcomes_activity_id_activities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index("ix_outcomes_org_year", "outcomes", ["org_id", "year", "created_at"])
    op.create_index("ix_outcomes_activity", "outcomes", ["activity_id", "created_at"])
    op.create_index(
        "ix_outcomes_unit",
        "outcomes",
        ["responsible_unit_id"],
        postgresql_where=sa.text("responsible_unit_id IS NOT NULL"),
    )
    op.create_table(
        "outcome_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.Uuid(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_status", sa.String(30), nullable=True),
        sa.Column("to_status", sa.String(30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("before", JSONB(), nullable=True),
        sa.Column("after", JSONB(), nullable=True),
        _outcome_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_history")),
    )
    op.create_index("ix_outcome_history_outcome", "outcome_history", ["outcome_id", "at"])
    op.create_table(
        "outcome_instructions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("leader", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("instructed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        _outcome_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_instructions")),
    )
    op.create_index(
        "ix_outcome_instructions_outcome", "outcome_instructions", ["outcome_id", "instructed_on"]
    )
    op.create_table(
        "outcome_feedback",
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_unit", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        _outcome_fk(),
        sa.PrimaryKeyConstraint("outcome_id", name=op.f("pk_outcome_feedback")),
    )
    op.create_table(
        "outcome_follow_ups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        _outcome_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_follow_ups")),
    )
    op.create_index("ix_outcome_follow_ups_outcome", "outcome_follow_ups", ["outcome_id", "recorded_at"])
    op.create_table(
        "outcome_feedback_deadlines",
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("fire_at", TS, nullable=False),
        sa.Column("fired_at", TS, nullable=True),
        sa.Column("result", sa.String(10), nullable=True),
        _outcome_fk(),
        sa.PrimaryKeyConstraint("outcome_id", "due_on", name=op.f("pk_outcome_feedback_deadlines")),
    )
    op.create_index(
        "ix_outcome_feedback_deadlines_due",
        "outcome_feedback_deadlines",
        ["fire_at"],
        postgresql_where=sa.text("result IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outcome_feedback_deadlines_due", table_name="outcome_feedback_deadlines")
    op.drop_table("outcome_feedback_deadlines")
    op.drop_index("ix_outcome_follow_ups_outcome", table_name="outcome_follow_ups")
    op.drop_table("outcome_follow_ups")
    op.drop_table("outcome_feedback")
    op.drop_index("ix_outcome_instructions_outcome", table_name="outcome_instructions")
    op.drop_table("outcome_instructions")
    op.drop_index("ix_outcome_history_outcome", table_name="outcome_history")
    op.drop_table("outcome_history")
    op.drop_index("ix_outcomes_unit", table_name="outcomes")
    op.drop_index("ix_outcomes_activity", table_name="outcomes")
    op.drop_index("ix_outcomes_org_year", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_table("unit_users")
    op.drop_table("units")
