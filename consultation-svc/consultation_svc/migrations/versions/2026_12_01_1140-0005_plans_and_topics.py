"""Annual consultation plans and topic collection (issue 11 "Plans and topics", DOMAIN.md §4):
plan versions with their entries and history, the organization's plan policy, the topic
collection windows, the topics with their sources and history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultation_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("version_no", sa.SmallInteger(), nullable=False),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("returned_at", TS, nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approval_record", sa.Text(), nullable=True),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("superseded_at", TS, nullable=True),
        sa.Column("superseded_by", sa.Uuid(), nullable=True),
        sa.Column("discarded_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["consultation_plans.id"],
            name=op.f("fk_consultation_plans_previous_id_consultation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_plans")),
        sa.UniqueConstraint("org_id", "year", "version_no", name=op.f("uq_consultation_plans_org_id")),
    )
    op.create_index("ix_consultation_plans_org", "consultation_plans", ["org_id", "year", "version_no"])
    # One unpublished version and one current (published) version per organization and year.
    op.create_index(
        "uq_consultation_plans_open",
        "consultation_plans",
        ["org_id", "year"],
        unique=True,
        postgresql_where=sa.text("status IN ('draft', 'submitted', 'approved')"),
    )
    op.create_index(
        "uq_consultation_plans_current",
        "consultation_plans",
        ["org_id", "year"],
        unique=True,
        postgresql_where=sa.text("status = 'published'"),
    )
    op.create_table(
        "consultation_plan_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("entry_key", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("planned_month", sa.SmallInteger(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("participants", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("lead_unit_id", sa.Uuid(), nullable=True),
        sa.Column("lead_department", sa.Text(), nullable=True),
        sa.Column("topic_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["consultation_plans.id"],
            name=op.f("fk_consultation_plan_entries_plan_id_consultation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_plan_entries")),
        sa.UniqueConstraint("plan_id", "entry_key", name=op.f("uq_consultation_plan_entries_plan_id")),
    )
    op.create_index("ix_consultation_plan_entries_plan", "consultation_plan_entries", ["plan_id", "position"])
    op.create_table(
        "consultation_plan_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["consultation_plans.id"],
            name=op.f("fk_consultation_plan_history_plan_id_consultation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_plan_history")),
    )
    op.create_index("ix_consultation_plan_history_plan", "consultation_plan_history", ["plan_id", "at"])
    op.create_table(
        "plan_policies",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_plan_policies")),
    )
    op.create_table(
        "topic_windows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("closes_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_windows")),
        sa.UniqueConstraint("org_id", "year", name=op.f("uq_topic_windows_org_id")),
    )
    op.create_table(
        "consultation_topics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=True),
        sa.Column("proposer_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("entry_key", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"], ["topic_windows.id"], name=op.f("fk_consultation_topics_window_id_topic_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_topics")),
    )
    op.create_index("ix_consultation_topics_org", "consultation_topics", ["org_id", "year", "created_at"])
    op.create_index("ix_consultation_topics_proposer", "consultation_topics", ["proposer_id", "year"])
    op.create_table(
        "consultation_topic_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["consultation_topics.id"],
            name=op.f("fk_consultation_topic_history_topic_id_consultation_topics"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_topic_history")),
    )
    op.create_index("ix_consultation_topic_history_topic", "consultation_topic_history", ["topic_id", "at"])


def downgrade() -> None:
    op.drop_table("consultation_topic_history")
    op.drop_table("consultation_topics")
    op.drop_table("topic_windows")
    op.drop_table("plan_policies")
    op.drop_table("consultation_plan_history")
    op.drop_table("consultation_plan_entries")
    op.drop_table("consultation_plans")
