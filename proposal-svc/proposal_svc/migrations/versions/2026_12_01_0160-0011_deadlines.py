"""Deadlines (issue 9, rule 12): the armed notices of a reply's due date and the approved extensions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deadline_notices",
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("fire_at", TS, nullable=False),
        sa.Column("fired_at", TS, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_deadline_notices_assignment_id_assignments")
        ),
        sa.PrimaryKeyConstraint("assignment_id", "due_on", "kind", name=op.f("pk_deadline_notices")),
    )
    op.create_index(
        "ix_deadline_notices_due",
        "deadline_notices",
        ["fire_at"],
        postgresql_where=sa.text("fired_at IS NULL"),
    )
    # Assignments made before this revision still await their reply: arm their overdue (00:00 in
    # Shanghai of the day after the due day) and the default policy's warnings (15 and 3 days) that
    # are still ahead, as the service arms them for a new assignment.
    op.execute(
        """
        INSERT INTO deadline_notices (assignment_id, due_on, kind, fire_at)
        SELECT a.id, a.reply_due_on, n.kind,
               ((a.reply_due_on + n.offset_days)::timestamp AT TIME ZONE 'Asia/Shanghai')
        FROM assignments a
        CROSS JOIN (VALUES ('overdue', 1), ('due_soon_15', -15), ('due_soon_3', -3)) AS n (kind, offset_days)
        WHERE a.reply_due_on IS NOT NULL
          AND a.status IN ('assigned', 'reassignment_requested', 'accepted')
          AND (n.kind = 'overdue'
               OR ((a.reply_due_on + n.offset_days)::timestamp AT TIME ZONE 'Asia/Shanghai') > now())
        """
    )
    op.create_table(
        "reply_extensions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("from_due_on", sa.Date(), nullable=False),
        sa.Column("to_due_on", sa.Date(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_reply_extensions_proposal_id_proposals")
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_reply_extensions_assignment_id_assignments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_extensions")),
    )
    op.create_index("ix_reply_extensions_assignment", "reply_extensions", ["assignment_id", "recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_reply_extensions_assignment", table_name="reply_extensions")
    op.drop_table("reply_extensions")
    op.drop_index("ix_deadline_notices_due", table_name="deadline_notices")
    op.drop_table("deadline_notices")
