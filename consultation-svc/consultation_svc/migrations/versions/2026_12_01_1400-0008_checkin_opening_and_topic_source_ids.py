"""Check-in opening (the scanner tells the invitees when an activity's check-in opens) and the
sector or committee id a topic proposed on behalf of one names.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("checkin_opens_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("activities", sa.Column("checkin_opened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_activities_checkin_opens_at",
        "activities",
        ["checkin_opens_at"],
        postgresql_where="checkin_opens_at IS NOT NULL",
    )
    # Activities already notified and not yet open for check-in are armed with their organization's
    # window (participation policy `checkin_opens_minutes_before`, default 60).
    op.execute(
        """
        UPDATE activities a
           SET checkin_opens_at = a.starts_at - make_interval(
                 mins => COALESCE((p.values ->> 'checkin_opens_minutes_before')::int, 60))
          FROM activities s
          LEFT JOIN consultation_policies p ON p.org_id = s.org_id
         WHERE s.id = a.id
           AND a.status = 'notified'
           AND a.starts_at - make_interval(
                 mins => COALESCE((p.values ->> 'checkin_opens_minutes_before')::int, 60)) > now()
        """
    )
    op.add_column("consultation_topics", sa.Column("source_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("consultation_topics", "source_id")
    op.drop_index("ix_activities_checkin_opens_at", table_name="activities")
    op.drop_column("activities", "checkin_opened_at")
    op.drop_column("activities", "checkin_opens_at")
