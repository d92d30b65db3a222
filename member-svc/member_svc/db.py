"""member-svc's declarative base and its one metadata, with the messaging and idempotency tables.

Every context's models import `Base` from here; `member_svc.tables` imports them all, so that
the metadata (what Alembic compares the migrations with) holds every table.
"""

from sqlalchemy.orm import DeclarativeBase

from cppcc_common.db import make_metadata
from cppcc_common.idempotency import add_idempotency_table
from cppcc_common.messaging_schema import add_messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)
