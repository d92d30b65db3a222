"""Idempotency keys for writes from the mobile app.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from cppcc_common.idempotency import create_idempotency_table_v1, drop_idempotency_table_v1

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table_v1()


def downgrade() -> None:
    drop_idempotency_table_v1()
