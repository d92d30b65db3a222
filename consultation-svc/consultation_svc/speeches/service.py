"""Speech use cases, each taking a Change; one transition function runs every action."""

from collections.abc import Callable, Sequence
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.attachments import service as attachments
from consultation_svc.attachments.models import Attachment
from consultation_svc.participation import access
from consultation_svc.participation import repository as participation
from consultation_svc.participation.access import Seen
from consultation_svc.participation.policy import ParticipationPolicy
from consultation_svc.speeches import domain, repository
from consultation_svc.speeches.domain import Action, Facts, Status
from consultation_svc.speeches.errors import (
    AlreadyRegistered,
    NotTheSpeaker,
    SpeechNotFound,
    SpeechVersionMismatch,
)
from consultation_svc.speeches.models import Speech, SpeechHistory
from cppcc_common.attachments import Upload, admit
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.consultation import SpeechMode, SpeechRegisteredV1
from cppcc_common.errors import Forbidden
from cppcc_common.ids import new_id
from cppcc_common.pagination import encode_cursor
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version


def _history(
    change: Change, speech: Speech, action: str, before: str | None, note: str | None
) -> SpeechHistory:
    return SpeechHistory(
        id=new_id(),
        speech_id=speech.id,
        org_id=speech.org_id,
        actor=change.actor,
        at=change.now,
        action=action,
        from_status=before,
        to_status=speech.status,
        note=note,
    )


async def register(
    change: Change, activity_id: UUID, mode: SpeechMode, title: str, text: str | None
) -> Speech:
    """An invitee registers to speak (oral) or submits a written speech (its files follow)."""
    seen = await access.as_invitee(change.session, change.person, activity_id)
    access.check_open(seen.activity)
    speech = Speech(
        id=new_id(),
        activity_id=activity_id,
        org_id=seen.activity.org_id,
        person_id=change.person.sub,
        mode=mode,
        status=Status.REGISTERED,
        title=title,
        text=text,
        created_at=change.now,
        updated_at=change.now,
        version=1,
    )
    try:
        async with change.session.begin_nested():
            change.session.add(speech)
            await change.session.flush()
    except IntegrityError as exc:
        raise AlreadyRegistered(mode="口头" if mode is SpeechMode.ORAL else "书面") from exc
    change.session.add(_history(change, speech, "register", None, None))
    await change.emit(
        SpeechRegisteredV1(
            speech_id=speech.id,
            activity_id=activity_id,
            org_id=speech.org_id,
            person_id=speech.person_id,
            mode=mode,
            title=title,
        ),
        subject=speech.id,
        orgid=speech.org_id,
    )
    return speech


async def _seen_speech(
    session: AsyncSession, principal: Principal, activity_id: UUID, speech_id: UUID, *, lock: bool
) -> tuple[Seen, Speech]:
    seen = await access.see(session, principal, activity_id, lock=lock)
    speech = await repository.get(session, principal, seen, speech_id, lock=lock)
    if speech is None:
        raise SpeechNotFound()
    return seen, speech


async def _transition(
    change: Change,
    activity_id: UUID,
    speech_id: UUID,
    action: Action,
    expected: IfMatch | None,
    decide: Callable[[Facts], Decision[Status]],
) -> Speech:
    """The write path of a speech: load for update (readable: 404) → who may act (403) → the table
    (409) → If-Match (412) → the rule → apply → history → version → events."""
    seen, speech = await _seen_speech(change.session, change.person, activity_id, speech_id, lock=True)
    if action in domain.SPEAKER_ACTIONS and speech.person_id != change.person.sub:
        raise NotTheSpeaker()
    if action in domain.OFFICE_ACTIONS and not seen.office:
        raise Forbidden()
    if action in domain.SPEAKER_ACTIONS:
        access.check_open(seen.activity)
    domain.LIFECYCLE.check(Status(speech.status), action)
    check_version(speech.version, expected, error=SpeechVersionMismatch)
    facts = Facts(
        speech_id=speech.id,
        activity_id=speech.activity_id,
        org_id=speech.org_id,
        person_id=speech.person_id,
        mode=SpeechMode(speech.mode),
        has_text=bool(speech.text and speech.text.strip()),
        files=await attachments.count(change.session, repository.OWNER, speech.id),
        activity_starts_at=seen.activity.starts_at,
    )
    decision = decide(facts)
    before = speech.status
    for name, value in decision.changes.items():
        setattr(speech, name, value)
    speech.status = decision.status
    if action in domain.OFFICE_ACTIONS:
        speech.decided_by = change.actor
    change.session.add(_history(change, speech, action, before, decision.note))
    speech.version += 1
    speech.updated_at = change.now
    for event in decision.events:
        await change.emit(event, subject=speech.id, orgid=speech.org_id)
    return speech


async def edit(
    change: Change, activity_id: UUID, speech_id: UUID, changes: dict[str, object], expected: IfMatch | None
) -> Speech:
    return await _transition(
        change, activity_id, speech_id, Action.EDIT, expected, lambda f: domain.edit(f, changes)
    )


async def withdraw(change: Change, activity_id: UUID, speech_id: UUID, expected: IfMatch | None) -> Speech:
    return await _transition(change, activity_id, speech_id, Action.WITHDRAW, expected, domain.withdraw)


async def deliver(change: Change, activity_id: UUID, speech_id: UUID, expected: IfMatch | None) -> Speech:
    now = change.now
    return await _transition(
        change, activity_id, speech_id, Action.DELIVER, expected, lambda f: domain.deliver(f, now)
    )


async def decline(
    change: Change, activity_id: UUID, speech_id: UUID, reason: str, expected: IfMatch | None
) -> Speech:
    return await _transition(
        change, activity_id, speech_id, Action.DECLINE, expected, lambda f: domain.decline(f, reason)
    )


async def read(session: AsyncSession, principal: Principal, activity_id: UUID, speech_id: UUID) -> Speech:
    return (await _seen_speech(session, principal, activity_id, speech_id, lock=False))[1]


async def page(
    session: AsyncSession, principal: Principal, activity_id: UUID, cursor: str | None, limit: int
) -> tuple[list[Speech], str | None]:
    seen = await access.see(session, principal, activity_id)
    rows = list(await repository.page(session, principal, seen, cursor, limit))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more else None


# --- files ----------------------------------------------------------------------------------------


async def policy_of(change: Change) -> ParticipationPolicy:
    """The caller's organization's policy, read once per upload before any byte (415, 413)."""
    return await participation.policy_for(change.session, change.person.org)


async def add_file(
    change: Change, activity_id: UUID, speech_id: UUID, upload: Upload, policy: ParticipationPolicy
) -> Attachment:
    """A file of the speaker's registered speech: an EDIT (the speech's lock holds the count)."""

    def decide(facts: Facts) -> Decision[Status]:
        admit(upload, policy, held=facts.files)
        return domain.edit(facts, {})

    speech = await _transition(change, activity_id, speech_id, Action.EDIT, None, decide)
    attachment = await attachments.keep(change, (repository.OWNER, speech.id), speech.org_id, upload)
    await change.session.flush()
    return attachment


async def remove_file(change: Change, activity_id: UUID, speech_id: UUID, attachment_id: UUID) -> None:
    await _transition(change, activity_id, speech_id, Action.EDIT, None, lambda f: domain.edit(f, {}))
    await attachments.remove(change.session, repository.OWNER, speech_id, attachment_id)


async def files(
    session: AsyncSession, principal: Principal, activity_id: UUID, speech_id: UUID
) -> Sequence[Attachment]:
    await read(session, principal, activity_id, speech_id)
    return await attachments.list_for(session, repository.OWNER, speech_id)


async def file(
    session: AsyncSession, principal: Principal, activity_id: UUID, speech_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    await read(session, principal, activity_id, speech_id)
    return await attachments.read(session, repository.OWNER, speech_id, attachment_id)
