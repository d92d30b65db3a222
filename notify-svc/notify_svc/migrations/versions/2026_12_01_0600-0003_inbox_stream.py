"""The inbox's live stream: a per-item sequence (the SSE event id) and a NOTIFY on each new item.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbox_items", sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False))
    op.create_index("ix_inbox_items_person_seq", "inbox_items", ["person_id", "seq"], unique=True)
    # The notification is delivered when the inserting transaction commits, never before: a stream
    # woken by it reads committed items only. Its payload names the person, whose streams wake.
    op.execute(
        """
        CREATE FUNCTION notify_inbox_item() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('cppcc_inbox', NEW.person_id::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER inbox_items_notify AFTER INSERT ON inbox_items"
        " FOR EACH ROW EXECUTE FUNCTION notify_inbox_item()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER inbox_items_notify ON inbox_items")
    op.execute("DROP FUNCTION notify_inbox_item()")
    op.drop_index("ix_inbox_items_person_seq", table_name="inbox_items")
    op.drop_column("inbox_items", "seq")
