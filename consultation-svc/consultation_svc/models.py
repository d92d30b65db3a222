"""consultation-svc's metadata. Its own tables arrive with the consultation issue; the
messaging tables are here from the start so the outbox and inbox work from day one."""

from sqlalchemy.orm import DeclarativeBase

from cppcc_common.db import make_metadata
from cppcc_common.idempotency import add_idempotency_table
from cppcc_common.messaging_schema import add_messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)
