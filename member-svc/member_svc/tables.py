"""Every table of member-svc, registered on the one metadata: what migrations and the app load.

The contexts' models import `Base` from `member_svc.db` and nothing imports back, so there is no
import cycle; this module is the one place that names them all.
"""

from member_svc import models as _shared_models  # noqa: F401 (organizations, people)
from member_svc.db import Base, metadata
from member_svc.directory import models as _directory_models  # noqa: F401
from member_svc.duty import models as _duty_models  # noqa: F401
from member_svc.identity import models as _identity_models  # noqa: F401
from member_svc.roster import models as _roster_models  # noqa: F401

__all__ = ["Base", "metadata"]
