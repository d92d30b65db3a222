"""Who may reach the activities' routes (default deny: each names its roles). Which activity is
theirs is `repository.readable` (rule 28): another organization's is 404."""

from cppcc_common.auth import Permission, Principal

CONSULTATION_SCOPE = "consultation"


def _office_or_leader(principal: Principal) -> bool:
    return principal.has_role("leader") or principal.has_scope(CONSULTATION_SCOPE)


# The consultation office: staff with the `consultation` scope schedule, invite, notify, decide leave,
# mark attendance and close.
MANAGE = Permission("consultation.activity.manage", roles={"staff"}, scopes={CONSULTATION_SCOPE})
# Reading activities: invitees (members) their own once notified; the office and leaders all.
READ = Permission("consultation.activity.read", roles={"member", "staff", "leader"})
# The lists behind an activity (invitees, leave, attendance, history): the office and leaders.
OVERSEE = Permission("consultation.activity.oversee", roles={"staff", "leader"}, rule=_office_or_leader)
# An invitee's own answer and leave request.
ANSWER = Permission("consultation.activity.answer", roles={"member"})
# The organization's consultation policy: the office and leaders read it, administrators set it.
READ_POLICY = Permission("consultation.policy.read", roles={"staff", "leader", "admin"})
SET_POLICY = Permission("consultation.policy.set", roles={"admin"})
# The national working-day calendar (rule 21's working days): administrators.
MANAGE_WORKING_CALENDAR = Permission("consultation.working_calendar.manage", roles={"admin"})
