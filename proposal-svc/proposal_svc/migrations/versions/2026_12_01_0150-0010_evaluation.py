"""Evaluation (issue 9): the replies' evaluation windows, the proposers' evaluations, the units'
completion reports; a part re-handled once has a second reply (replies are no longer one per
assignment).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Rule 17: a re-opened part replies a second time.
    op.drop_constraint("uq_replies_assignment_id", "replies", type_="unique")
    op.create_index("ix_replies_assignment", "replies", ["assignment_id", "replied_at"])
    op.create_table(
        "evaluation_windows",
        sa.Column("reply_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("closes_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["replies.id"], name=op.f("fk_evaluation_windows_reply_id_replies")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_evaluation_windows_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("reply_id", name=op.f("pk_evaluation_windows")),
    )
    op.create_index("ix_evaluation_windows_closes_at", "evaluation_windows", ["closes_at"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("reply_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.String(30), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("evaluated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["reply_id"], ["replies.id"], name=op.f("fk_evaluations_reply_id_replies")),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_evaluations_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("reply_id", "person_id", name=op.f("uq_evaluations_reply_id")),
    )
    op.create_index("ix_evaluations_proposal", "evaluations", ["proposal_id", "evaluated_at"])
    op.create_table(
        "completion_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("reply_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("reported_by", sa.Uuid(), nullable=True),
        sa.Column("reported_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["replies.id"], name=op.f("fk_completion_reports_reply_id_replies")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_completion_reports_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_reports")),
        sa.UniqueConstraint("reply_id", name=op.f("uq_completion_reports_reply_id")),
    )
    op.create_index("ix_completion_reports_proposal", "completion_reports", ["proposal_id"])


def downgrade() -> None:
    op.drop_index("ix_completion_reports_proposal", table_name="completion_reports")
    op.drop_table("completion_reports")
    op.drop_index("ix_evaluations_proposal", table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_index("ix_evaluation_windows_closes_at", table_name="evaluation_windows")
    op.drop_table("evaluation_windows")
    op.drop_index("ix_replies_assignment", table_name="replies")
    op.create_unique_constraint("uq_replies_assignment_id", "replies", ["assignment_id"])
