"""Webhook endpoints: Ed25519 keys for v1a signatures, a version for If-Match, and an index for
the retention sweep.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("signing_key", sa.LargeBinary(), nullable=True))
    op.add_column("webhook_endpoints", sa.Column("previous_signing_key", sa.LargeBinary(), nullable=True))
    op.add_column("webhook_endpoints", sa.Column("public_key", sa.String(100), nullable=True))
    op.add_column("webhook_endpoints", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_webhook_messages_created", "webhook_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_messages_created", table_name="webhook_messages")
    for column in ("version", "public_key", "previous_signing_key", "signing_key"):
        op.drop_column("webhook_endpoints", column)
