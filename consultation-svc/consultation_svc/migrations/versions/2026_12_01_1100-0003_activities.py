"""Activities: the members projection, activities, invitations, leave requests, attendances, the
activity history, the organization's consultation policy, attachments (metadata and, by default,
their bytes) and the working calendar (rule 21's working days).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from cppcc_common.attachments_store import create_blob_table_v1, drop_blob_table_v1
from cppcc_common.workdays_store import create_working_calendar_table_v1, drop_working_calendar_table_v1

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _activity_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], ondelete="CASCADE")


def upgrade() -> None:
    create_working_calendar_table_v1()
    create_blob_table_v1()
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("owner_type", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index("ix_attachments_owner", "attachments", ["owner_type", "owner_id", "uploaded_at"])
    op.create_table(
        "members",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sector_id", sa.Uuid(), nullable=True),
        sa.Column("party", sa.String(100), nullable=False),
        sa.Column("is_standing", sa.Boolean(), nullable=False),
        sa.Column("committee_ids", ARRAY(sa.Uuid()), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("term_starts_on", sa.Date(), nullable=True),
        sa.Column("term_ends_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_members")),
    )
    op.create_index("ix_members_org_person", "members", ["org_id", "person_id"])
    op.create_index("ix_members_committees", "members", ["committee_ids"], postgresql_using="gin")
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("online_link", sa.Text(), nullable=True),
        sa.Column("organizer_person_id", sa.Uuid(), nullable=True),
        sa.Column("organizer_name", sa.Text(), nullable=True),
        sa.Column("plan_entry_id", sa.Uuid(), nullable=True),
        sa.Column("notice_issued_at", TS, nullable=True),
        sa.Column("notice_late_reason", sa.Text(), nullable=True),
        sa.Column("materials_published_at", TS, nullable=True),
        sa.Column("materials_late_reason", sa.Text(), nullable=True),
        sa.Column("remind_at", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("rescheduled_count", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("reschedule_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index("ix_activities_org_starts", "activities", ["org_id", "starts_at"])
    op.create_index(
        "ix_activities_remind_at", "activities", ["remind_at"], postgresql_where="remind_at IS NOT NULL"
    )
    op.create_index(
        "ix_activities_open_ends", "activities", ["ends_at"], postgresql_where="status = 'notified'"
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("guest_kind", sa.String(30), nullable=True),
        sa.Column("guest_affiliation", sa.Text(), nullable=True),
        sa.Column("invited_via", sa.String(20), nullable=False),
        sa.Column("invited_at", TS, nullable=False),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("outcome_recorded_at", TS, nullable=True),
        _activity_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_invitations_activity_id")),
    )
    op.create_index("ix_invitations_person", "invitations", ["person_id", "activity_id"])
    op.create_table(
        "leaves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _activity_fk(),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaves")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_leaves_activity_id")),
    )
    op.create_index("ix_leaves_org_person_year", "leaves", ["org_id", "person_id", "year"])
    op.create_table(
        "attendances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("arrived_at", TS, nullable=False),
        sa.Column("left_at", TS, nullable=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _activity_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendances")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_attendances_activity_id")),
    )
    op.create_table(
        "activity_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.Uuid(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _activity_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_history")),
    )
    op.create_index("ix_activity_history_activity", "activity_history", ["activity_id", "at"])
    op.create_table(
        "consultation_policies",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("values", JSONB(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_consultation_policies")),
    )


def downgrade() -> None:
    op.drop_table("consultation_policies")
    op.drop_index("ix_activity_history_activity", table_name="activity_history")
    op.drop_table("activity_history")
    op.drop_table("attendances")
    op.drop_index("ix_leaves_org_person_year", table_name="leaves")
    op.drop_table("leaves")
    op.drop_index("ix_invitations_person", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_activities_open_ends", table_name="activities")
    op.drop_index("ix_activities_remind_at", table_name="activities")
    op.drop_index("ix_activities_org_starts", table_name="activities")
    op.drop_table("activities")
    op.drop_index("ix_members_committees", table_name="members")
    op.drop_index("ix_members_org_person", table_name="members")
    op.drop_table("members")
    op.drop_index("ix_attachments_owner", table_name="attachments")
    op.drop_table("attachments")
    drop_blob_table_v1()
    drop_working_calendar_table_v1()
