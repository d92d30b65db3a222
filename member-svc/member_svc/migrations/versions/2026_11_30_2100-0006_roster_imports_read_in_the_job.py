"""roster imports: the file is read by the job (kept until then), update mode, failure parameters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("roster_imports", sa.Column("content", sa.LargeBinary(), nullable=True))
    op.add_column(
        "roster_imports",
        sa.Column("update_existing", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "roster_imports", sa.Column("updated_rows", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "roster_imports",
        sa.Column("failure_params", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("roster_imports", "failure_params")
    op.drop_column("roster_imports", "updated_rows")
    op.drop_column("roster_imports", "update_existing")
    op.drop_column("roster_imports", "content")
