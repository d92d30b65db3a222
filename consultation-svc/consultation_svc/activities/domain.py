"""The activity's statuses, actions and rules, as pure functions (no I/O)."""

from enum import StrEnum

from cppcc_common.contracts.consultation import ActivityKind


class Status(StrEnum):
    SCHEDULED = "scheduled"  # being prepared: no notice yet
    NOTIFIED = "notified"  # the notice went out to the invitees
    CLOSED = "closed"  # took place; attendance and absences sent to the duty ledger
    CANCELLED = "cancelled"


class AttendanceMethod(StrEnum):
    QR = "qr"  # the member scanned the venue's rotating code
    STAFF = "staff"  # staff marked it


# How the duty ledger scores each form of DOMAIN.md §4 (forms.py's codes).
FORM_KINDS: dict[str, ActivityKind] = {
    "plenary": ActivityKind.PLENARY,
    "thematic_standing": ActivityKind.STANDING_COMMITTEE,
    "thematic": ActivityKind.MEETING,
    "bimonthly_forum": ActivityKind.MEETING,
    "counterpart": ActivityKind.ACTIVITY,
    "sector": ActivityKind.ACTIVITY,
    "proposal_handling": ActivityKind.ACTIVITY,
    "written": ActivityKind.ACTIVITY,
    "talk": ActivityKind.ACTIVITY,
    "online": ActivityKind.ACTIVITY,
    "remote": ActivityKind.MEETING,
    "inspection": ActivityKind.ACTIVITY,
    "sector_activity": ActivityKind.ACTIVITY,
}
