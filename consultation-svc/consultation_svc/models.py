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
from consultation_svc.calendar import models as _calendar_models  # noqa: E402,F401
from consultation_svc.checkin import models as _checkin_models  # noqa: E402,F401
from consultation_svc.deliberation import models as _deliberation_models  # noqa: E402,F401
from consultation_svc.members import models as _member_models  # noqa: E402,F401
from consultation_svc.outcomes import models as _outcome_models  # noqa: E402,F401
from consultation_svc.plans import models as _plan_models  # noqa: E402,F401
from consultation_svc.speeches import models as _speech_models  # noqa: E402,F401
from consultation_svc.topics import models as _topic_models  # noqa: E402,F401
from consultation_svc.written import models as _written_models  # noqa: E402,F401
