"""Issue 12, similar proposals: the index of each submitted proposal's segmented text
(`proposal_texts`: a weighted tsvector with a GIN index, the title with a pg_trgm GIN index), and
the backfill of every proposal submitted before it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "proposal_texts",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("series", sa.String(length=60), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_proposal_texts_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposal_texts")),
    )
    op.create_index("ix_proposal_texts_document", "proposal_texts", ["document"], postgresql_using="gin")
    op.create_index(
        "ix_proposal_texts_title_trgm",
        "proposal_texts",
        ["title"],
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_index("ix_proposal_texts_org_series", "proposal_texts", ["org_id", "series"])
    # The proposals submitted before this revision: segmented here with the service's own code (a
    # later change of the dictionary re-indexes with `python -m proposal_svc.similar reindex`).
    from proposal_svc.similar.backfill import backfill_sync

    backfill_sync(op.get_bind())


def downgrade() -> None:
    op.drop_table("proposal_texts")
