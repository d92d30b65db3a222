"""Participation: check-in scans, speeches and their history, written consultations and opinions,
online deliberations and posts, calendar feed secrets (hashes only).

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

TS = sa.DateTime(timezone=True)


def _fk(column: str, table: str, target: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.{target}"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "checkin_scans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("code_window", sa.BigInteger(), nullable=False),
        sa.Column("scanned_at", TS, nullable=False),
        sa.Column("effect", sa.String(20), nullable=False),
        _fk("activity_id", "activities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_scans")),
        sa.UniqueConstraint(
            "activity_id", "person_id", "code_window", name=op.f("uq_checkin_scans_activity_id")
        ),
    )
    op.create_table(
        "speeches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("activity_id", "activities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speeches")),
    )
    op.create_index("ix_speeches_activity", "speeches", ["activity_id", "created_at"])
    op.create_index(
        "uq_speeches_live",
        "speeches",
        ["activity_id", "person_id", "mode"],
        unique=True,
        postgresql_where="status <> 'withdrawn'",
    )
    op.create_table(
        "speech_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("speech_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.Uuid(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("speech_id", "speeches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speech_history")),
    )
    op.create_index("ix_speech_history_speech", "speech_history", ["speech_id", "at"])
    op.create_table(
        "written_consultations",
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("activity_id", "activities"),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_written_consultations")),
    )
    op.create_table(
        "written_opinions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("activity_id", "written_consultations", "activity_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_written_opinions")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_written_opinions_activity_id")),
    )
    op.create_index("ix_written_opinions_activity", "written_opinions", ["activity_id", "created_at", "id"])
    op.create_table(
        "deliberations",
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("opens_at", TS, nullable=False),
        sa.Column("closes_at", TS, nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("summarized_by", sa.Uuid(), nullable=True),
        sa.Column("summarized_at", TS, nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("activity_id", "activities"),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_deliberations")),
    )
    op.create_table(
        "deliberation_posts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reply_to", sa.Uuid(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("hidden_by", sa.Uuid(), nullable=True),
        sa.Column("hidden_at", TS, nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("activity_id", "deliberations", "activity_id"),
        _fk("reply_to", "deliberation_posts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliberation_posts")),
    )
    op.create_index("ix_deliberation_posts_thread", "deliberation_posts", ["activity_id", "created_at", "id"])
    op.create_table(
        "calendar_feeds",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("rotated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_calendar_feeds_secret_sha256")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_index("ix_deliberation_posts_thread", table_name="deliberation_posts")
    op.drop_table("deliberation_posts")
    op.drop_table("deliberations")
    op.drop_index("ix_written_opinions_activity", table_name="written_opinions")
    op.drop_table("written_opinions")
    op.drop_table("written_consultations")
    op.drop_index("ix_speech_history_speech", table_name="speech_history")
    op.drop_table("speech_history")
    op.drop_index("uq_speeches_live", table_name="speeches")
    op.drop_index("ix_speeches_activity", table_name="speeches")
    op.drop_table("speeches")
    op.drop_table("checkin_scans")
