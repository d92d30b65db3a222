"""proposal-svc's metadata: its own tables plus the shared messaging tables."""

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

from proposal_svc.attachments import models as _attachment_models  # noqa: E402,F401
from proposal_svc.evaluation import models as _evaluation_models  # noqa: E402,F401
from proposal_svc.handling import models as _handling_models  # noqa: E402,F401
from proposal_svc.opinions import models as _opinion_models  # noqa: E402,F401
from proposal_svc.proposals import members as _member_projection  # noqa: E402,F401  (registers tables)
from proposal_svc.proposals import models as _proposal_models  # noqa: E402,F401
from proposal_svc.publication import models as _publication_models  # noqa: E402,F401
from proposal_svc.similar import models as _similar_models  # noqa: E402,F401
from proposal_svc.statistics import models as _statistics_models  # noqa: E402,F401
