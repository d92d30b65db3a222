"""Who may read and change the directory: the permissions its routes (and the roster's) declare."""

from typing import Annotated

from fastapi import Depends

from cppcc_common.auth import PEOPLE, SIGNED_IN, Permission, Principal
from cppcc_common.change import Change, Changing


def _manages_members(p: Principal) -> bool:
    return p.has_role("admin") or (p.has_role("staff") and p.has_scope("members"))


def reads_all_members(p: Principal) -> bool:
    """Rule 28: who reads every member record of their organization (anyone else: only their own,
    the repository's `readable`)."""
    return _manages_members(p) or p.has_role("leader") or (p.has_role("staff") and p.has_scope("proposals"))


MANAGE = Permission("directory.manage", roles={"admin", "staff"}, rule=_manages_members)
SET_POLICY = Permission("directory.policy", roles={"admin"})
READ_MEMBERS = Permission("members.read", roles={"admin", "staff", "leader"}, rule=reads_all_members)
OWN_RECORD = Permission("members.read_own", roles={"member"})
# A partner system sees its own unit and nothing else of the directory.
UNIT_INFO = Permission("units.read", roles=PEOPLE | {"partner"})
Manager = Annotated[Principal, Depends(MANAGE)]
PolicyAdmin = Annotated[Principal, Depends(SET_POLICY)]
Reader = Annotated[Principal, Depends(READ_MEMBERS)]
Anyone = Annotated[Principal, Depends(SIGNED_IN)]
# The same permissions, for routes that change state: the request's Change made by the principal.
Managing = Annotated[Change, Changing(MANAGE)]
SettingPolicy = Annotated[Change, Changing(SET_POLICY)]
