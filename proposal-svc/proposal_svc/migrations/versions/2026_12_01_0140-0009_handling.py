"""Handling (issue 9): the units projection, assignments, communications, replies and the audit of
reply class corrections.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


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
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("reply_due_on", sa.Date(), nullable=True),
        sa.Column("views_due_on", sa.Date(), nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("reassignment_reason", sa.Text(), nullable=True),
        sa.Column("reassignment_requested_at", TS, nullable=True),
        sa.Column("reassigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("views", sa.Text(), nullable=True),
        sa.Column("views_sent_at", TS, nullable=True),
        sa.Column("countersigned_at", TS, nullable=True),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_assignments_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    # A unit holds one open part of a proposal; a reassigned (closed) row may sit beside it.
    op.create_index(
        "uq_assignments_open_unit",
        "assignments",
        ["proposal_id", "unit_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'reassigned'"),
    )
    op.create_index("ix_assignments_unit", "assignments", ["unit_id", "proposal_id"])
    op.create_index("ix_assignments_reply_due", "assignments", ["reply_due_on"])
    op.create_table(
        "communications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("communicated_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_communications_assignment_id_assignments")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_communications_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
    )
    op.create_index("ix_communications_assignment", "communications", ["assignment_id", "recorded_at"])
    op.create_table(
        "replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.Text(), nullable=False),
        sa.Column("result_class", sa.String(20), nullable=False),
        sa.Column("replied_by", sa.Uuid(), nullable=True),
        sa.Column("replied_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_replies_assignment_id_assignments")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_replies_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_replies_assignment_id")),
    )
    op.create_index("ix_replies_proposal", "replies", ["proposal_id", "replied_at"])
    op.create_table(
        "reply_class_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reply_id", sa.Uuid(), nullable=False),
        sa.Column("from_class", sa.String(20), nullable=False),
        sa.Column("to_class", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["replies.id"], name=op.f("fk_reply_class_corrections_reply_id_replies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_class_corrections")),
    )
    op.create_index("ix_reply_class_corrections_reply", "reply_class_corrections", ["reply_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_reply_class_corrections_reply", table_name="reply_class_corrections")
    op.drop_table("reply_class_corrections")
    op.drop_index("ix_replies_proposal", table_name="replies")
    op.drop_table("replies")
    op.drop_index("ix_communications_assignment", table_name="communications")
    op.drop_table("communications")
    op.drop_index("ix_assignments_reply_due", table_name="assignments")
    op.drop_index("ix_assignments_unit", table_name="assignments")
    op.drop_index("uq_assignments_open_unit", table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("unit_users")
    op.drop_table("units")
