"""A speech's statuses, actions and rules, as pure functions (no I/O).

registered → delivered (the office: an oral speech given, a written one accepted; the duty ledger
scores `speech_delivered`), → declined (the office, with a reason: not given the floor, not
taken), → withdrawn (the speaker). While registered, the speaker edits it and its files (EDIT).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from consultation_svc.speeches.errors import SpeechInvalidTransition, WrittenSpeechEmpty
from cppcc_common.contracts.consultation import SpeechDeliveredV1, SpeechMode
from cppcc_common.transitions import Decision, TransitionTable


class SpeechStatus(StrEnum):
    REGISTERED = "registered"
    DELIVERED = "delivered"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


Status = SpeechStatus  # the name the context's code uses (the schema's is SpeechStatus)


class Action(StrEnum):
    EDIT = "edit"
    WITHDRAW = "withdraw"
    DELIVER = "deliver"
    DECLINE = "decline"


LIFECYCLE: TransitionTable[Status, Action] = TransitionTable(
    {
        (Status.REGISTERED, Action.EDIT): Status.REGISTERED,
        (Status.REGISTERED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.REGISTERED, Action.DELIVER): Status.DELIVERED,
        (Status.REGISTERED, Action.DECLINE): Status.DECLINED,
    },
    error=SpeechInvalidTransition,
)
# Who takes each action: the speaker, or the consultation office.
SPEAKER_ACTIONS = frozenset({Action.EDIT, Action.WITHDRAW})
OFFICE_ACTIONS = frozenset({Action.DELIVER, Action.DECLINE})


@dataclass(frozen=True)
class Facts:
    """What the rules read of a speech and its activity."""

    speech_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    mode: SpeechMode
    has_text: bool
    files: int
    activity_starts_at: datetime


def edit(facts: Facts, changes: dict[str, object]) -> Decision[Status]:
    return Decision(Status.REGISTERED, changes=changes)


def withdraw(facts: Facts) -> Decision[Status]:
    return Decision(Status.WITHDRAWN)


def deliver(facts: Facts, now: datetime) -> Decision[Status]:
    """Delivered (oral) or accepted (written; it needs its text or a file). The event's time is the
    activity's, so the duty ledger counts it in the activity's year."""
    if facts.mode is SpeechMode.WRITTEN and not (facts.has_text or facts.files):
        raise WrittenSpeechEmpty()
    event = SpeechDeliveredV1(
        speech_id=facts.speech_id,
        activity_id=facts.activity_id,
        org_id=facts.org_id,
        person_id=facts.person_id,
        mode=facts.mode,
        occurred_at=facts.activity_starts_at,
    )
    return Decision(Status.DELIVERED, changes={"delivered_at": now}, events=(event,))


def decline(facts: Facts, reason: str) -> Decision[Status]:
    return Decision(Status.DECLINED, changes={"decline_reason": reason}, note=reason)
