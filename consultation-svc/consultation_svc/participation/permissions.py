"""The permissions the participation routes declare (default deny: each names its roles)."""

from cppcc_common.auth import Permission, Principal

SCOPE = "consultation"


def is_office(principal: Principal) -> bool:
    """The consultation office: staff with the `consultation` scope."""
    return principal.has_role("staff") and principal.has_scope(SCOPE)


def _reader(principal: Principal) -> bool:
    return principal.has_role("member", "leader") or is_office(principal)


# An invitee's own acts: check in, register a speech, give an opinion, post.
TAKE_PART = Permission("consultation.participate", roles={"member"})
# The consultation office's acts: the venue code, marking speeches, opening and moderating.
OFFICE = Permission("consultation.participation.manage", roles={"staff"}, scopes={SCOPE})
# Reading participation: invitees (their own or the thread), the office and leaders (rule 28).
READ = Permission("consultation.participation.read", roles={"member", "leader", "staff"}, rule=_reader)
# A member's own calendar.
OWN_CALENDAR = Permission("consultation.calendar", roles={"member"})
