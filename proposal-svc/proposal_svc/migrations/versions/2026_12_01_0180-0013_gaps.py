"""Issue 9, gaps: the evaluation window is a deadline row (rule 16: the scanner settles it once);
a step of a proposal's history may be the system's (no actor); a reply's letters to the proposals
merged in (rule 8); co-handlers' views are watched (rule 11: a `views_overdue` notice); the organization's leaders
(rule 19).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A step the system takes (the window scanner's conclusion) has no actor.
    op.alter_column("proposal_history", "actor_id", nullable=True)
    op.add_column("evaluation_windows", sa.Column("settled_at", TS, nullable=True))
    op.drop_index("ix_evaluation_windows_closes_at", table_name="evaluation_windows")
    op.create_index(
        "ix_evaluation_windows_due",
        "evaluation_windows",
        ["closes_at"],
        postgresql_where=sa.text("settled_at IS NULL"),
    )

    op.create_table(
        "reply_letters",
        sa.Column("reply_id", sa.Uuid(), nullable=False),
        sa.Column("merged_proposal_id", sa.Uuid(), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["reply_id"], ["replies.id"], name=op.f("fk_reply_letters_reply_id_replies")),
        sa.ForeignKeyConstraint(
            ["merged_proposal_id"],
            ["proposals.id"],
            name=op.f("fk_reply_letters_merged_proposal_id_proposals"),
        ),
        sa.PrimaryKeyConstraint("reply_id", "merged_proposal_id", name=op.f("pk_reply_letters")),
    )
    # Co-handlers made before this revision still owing their views (rule 11): arm their views
    # overdue (00:00 in Shanghai of the day after the views due day), as the service arms it now.
    op.execute(
        """
        INSERT INTO deadline_notices (assignment_id, due_on, kind, fire_at)
        SELECT a.id, a.views_due_on, 'views_overdue',
               ((a.views_due_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
        FROM assignments a
        WHERE a.views_due_on IS NOT NULL AND a.status IN ('assigned', 'reassignment_requested')
        ON CONFLICT DO NOTHING
        """
    )
    # Rule 19: the organization's leaders, from member-svc's person_registered events.
    op.create_table(
        "leaders",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_leaders")),
    )
    # Nothing queries assignments by due date: the deadline notices are the scanner's rows.
    op.drop_index("ix_assignments_reply_due", table_name="assignments")


def downgrade() -> None:
    op.create_index("ix_assignments_reply_due", "assignments", ["reply_due_on"])
    op.drop_table("leaders")
    op.execute("DELETE FROM deadline_notices WHERE kind = 'views_overdue'")
    op.drop_table("reply_letters")
    op.drop_index("ix_evaluation_windows_due", table_name="evaluation_windows")
    op.create_index("ix_evaluation_windows_closes_at", "evaluation_windows", ["closes_at"])
    op.drop_column("evaluation_windows", "settled_at")
    op.execute("DELETE FROM proposal_history WHERE actor_id IS NULL")
    op.alter_column("proposal_history", "actor_id", nullable=False)
