"""Publication (issue 9, rule 20): the proposers' consents, the publication window of a replied
proposal, the published copy; and the before/after of corrected fields in the proposal's history
(the staff's audit trail).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "publication_consents",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_publication_consents_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "person_id", name=op.f("pk_publication_consents")),
    )
    op.create_table(
        "publication_windows",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("replied_at", TS, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("closes_at", TS, nullable=False),
        sa.Column("settled_at", TS, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_publication_windows_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_publication_windows")),
    )
    op.create_index(
        "ix_publication_windows_open",
        "publication_windows",
        ["closes_at"],
        postgresql_where=sa.text("settled_at IS NULL"),
    )
    op.create_table(
        "publications",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(20), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("suggestions", postgresql.JSONB(), nullable=False),
        sa.Column("byline", sa.Text(), nullable=True),
        sa.Column("replies", postgresql.JSONB(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_publications_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_publications")),
    )
    op.create_index(
        "ix_publications_public",
        "publications",
        ["org_id", "published_at", "proposal_id"],
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.add_column("proposal_history", sa.Column("before", postgresql.JSONB(), nullable=True))
    op.add_column("proposal_history", sa.Column("after", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("proposal_history", "after")
    op.drop_column("proposal_history", "before")
    op.drop_index("ix_publications_public", table_name="publications")
    op.drop_table("publications")
    op.drop_index("ix_publication_windows_open", table_name="publication_windows")
    op.drop_table("publication_windows")
    op.drop_table("publication_consents")
