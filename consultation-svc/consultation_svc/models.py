"""consultation-svc's metadata: its own tables (each context's models.py, imported below), the
shared messaging, idempotency and working-calendar tables."""

from sqlalchemy.orm import DeclarativeBase

from cppcc_common.db import make_metadata
from cppcc_common.idempotency import add_idempotency_table
from cppcc_common.messaging_schema import add_messaging_tables
from cppcc_common.workdays_store import add_working_calendar_table


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)
add_working_calendar_table(metadata)

from consultation_svc.activities import models as _activity_models  # noqa: E402,F401  (registers tables)
from consultation_svc.attachments import models as _attachment_models  # noqa: E402,F401
from consultation_svc.members import models as _member_models  # noqa: E402,F401
from consultation_svc.outcomes import models as _outcome_models  # noqa: E402,F401
