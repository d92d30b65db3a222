"""Tables every service keeps for messaging: outbox, inbox, dead_letters.

`add_messaging_tables(metadata)` puts them in a service's metadata (so Alembic sees them);
`create_messaging_tables_v1()` is called from a service's first migration. The mechanisms in
`outbox.py` and `consumer.py` query these tables by name. A later change to these tables is a
new `…_v2()` helper called from a new migration in every service, never an edit of v1.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

_TS = sa.DateTime(timezone=True)


def _outbox() -> list[sa.Column[object]]:
    return [
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", _TS),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    ]


def _inbox() -> list[sa.Column[object]]:
    return [
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("processed_at", _TS, nullable=False, server_default=sa.func.now()),
    ]


def _dead_letters() -> list[sa.Column[object]]:
    return [
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True)),
        sa.Column("event_type", sa.Text),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("replayed_at", _TS),
    ]


_UNSENT = sa.text("sent_at IS NULL")


def add_messaging_tables(metadata: sa.MetaData) -> None:
    """Declares the messaging tables in a service's metadata."""
    outbox = sa.Table("outbox", metadata, *_outbox())
    sa.Index("ix_outbox_unsent", outbox.c.created_at, postgresql_where=_UNSENT)
    sa.Table("inbox", metadata, *_inbox())
    dead = sa.Table("dead_letters", metadata, *_dead_letters())
    sa.Index("ix_dead_letters_consumer_created", dead.c.consumer, dead.c.created_at)


def create_messaging_tables_v1() -> None:
    """Alembic operations creating the messaging tables."""
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.create_table("outbox", *_outbox())
    op.create_index("ix_outbox_unsent", "outbox", ["created_at"], postgresql_where=_UNSENT)
    op.create_table("inbox", *_inbox())
    op.create_table("dead_letters", *_dead_letters())
    op.create_index("ix_dead_letters_consumer_created", "dead_letters", ["consumer", "created_at"])


def drop_messaging_tables_v1() -> None:
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    for name in ("dead_letters", "inbox", "outbox"):
        op.drop_table(name)
