"""The typed, versioned event contracts every service shares.

Importing this package registers every contract. A breaking change is a new version (`…v2`)
published next to the old one until every consumer has moved.
"""

from cppcc_common.contracts import consultation, member, notify, proposal

__all__ = ["consultation", "member", "notify", "proposal"]
