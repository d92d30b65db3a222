"""The duty events member-svc consumes: every act of the other services that scores (rule 23)."""

from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.events import CloudEvent, EventData
from member_svc.duty.service import ingest


async def on_duty_event(change: Change, envelope: CloudEvent, data: EventData) -> None:
    await ingest(change, envelope, data)


_PROPOSAL_TYPES = (
    "cppcc.proposal.submitted.v1",
    "cppcc.proposal.cosign_confirmed.v1",  # a co-signer joining after the submission (rule 4)
    "cppcc.proposal.filed.v1",
    "cppcc.proposal.key_designated.v1",
    "cppcc.opinion.submitted.v1",
    "cppcc.opinion.adopted.v1",
)
_CONSULTATION_TYPES = (
    "cppcc.consultation.attendance_recorded.v1",
    "cppcc.consultation.absence_recorded.v1",
    "cppcc.consultation.leave_approved.v1",
    "cppcc.consultation.leave_refused.v1",
    "cppcc.consultation.speech_delivered.v1",
    "cppcc.consultation.training_attended.v1",
)

CONSUMERS = [
    ConsumerSpec(
        name="member-duty-proposal",
        stream="PROPOSAL",
        subjects=list(_PROPOSAL_TYPES),
        handlers=dict.fromkeys(_PROPOSAL_TYPES, on_duty_event),
    ),
    ConsumerSpec(
        name="member-duty-consultation",
        stream="CONSULTATION",
        subjects=list(_CONSULTATION_TYPES),
        handlers=dict.fromkeys(_CONSULTATION_TYPES, on_duty_event),
    ),
]
