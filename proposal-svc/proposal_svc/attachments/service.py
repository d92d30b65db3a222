"""Attachment use cases. A proposal's attachments change only as an EDIT of its draft, on the
proposal's own write path (`proposals.service.edit_draft`): the first proposer, a draft, If-Match
checked, the version bumped and a history row written, under the proposal's row lock (so the
policy's count holds however many uploads race). Reading follows the proposal's `readable`.
A reply's attachments (the letter's file) are added by the unit that replied, under the same lock,
and read like the reply."""

import dataclasses
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.ids import new_id
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch
from proposal_svc.attachments import domain, repository
from proposal_svc.attachments.domain import OwnerType, Upload
from proposal_svc.attachments.errors import AttachmentNotFound
from proposal_svc.attachments.models import Attachment
from proposal_svc.attachments.store import store_for
from proposal_svc.handling.errors import ReplyNotFound
from proposal_svc.handling.models import Reply
from proposal_svc.proposals import domain as proposals
from proposal_svc.proposals import repository as proposal_repository
from proposal_svc.proposals import service as proposal_service
from proposal_svc.proposals.domain import Facts, Status
from proposal_svc.proposals.errors import ProposalNotFound
from proposal_svc.proposals.models import Proposal
from proposal_svc.proposals.policy import ProposalPolicy


async def policy(change: Change) -> ProposalPolicy:
    """The caller's organization's policy (a proposal they may change is of their organization):
    read once per upload, before any byte (415), and passed on to the rules."""
    return await proposal_repository.policy_for(change.session, change.person.org)


async def store(
    change: Change,
    owner: tuple[OwnerType, UUID],
    org_id: UUID,
    upload: Upload,
    rules: ProposalPolicy,
    *,
    organization: bool,
) -> Attachment:
    """Admits the file (`domain.admit`, against what the owner holds), puts its bytes in the store and
    adds its row; the caller holds the owner's lock (so the policy's count holds under races).
    Every owner's upload goes through it: a proposal's, a reply's, a public-opinion report's."""
    owner_type, owner_id = owner
    held = await repository.count(change.session, owner_type, owner_id)
    name = domain.clean_file_name(upload.file_name)
    domain.admit(upload, rules, held=held, organization=organization)
    kind = domain.media_type(upload.content_type)
    key = await store_for(change.session).put(
        upload.content, org_id=org_id, content_type=kind, sha256=upload.sha256
    )
    attachment = Attachment(
        id=new_id(),
        org_id=org_id,
        owner_type=owner_type,
        owner_id=owner_id,
        purpose=upload.purpose,
        file_name=name,
        content_type=kind,
        size=len(upload.content),
        sha256=upload.sha256,
        storage_key=key,
        uploaded_by=change.person.sub,
        uploaded_at=change.now,
    )
    repository.add(change.session, attachment)
    return attachment


async def remove(change: Change, owner: tuple[OwnerType, UUID], attachment_id: UUID) -> Attachment:
    """Removes the owner's attachment and its bytes (else 404); the caller holds the owner's lock."""
    owner_type, owner_id = owner
    attachment = await repository.get(change.session, owner_type, owner_id, attachment_id)
    if attachment is None:
        raise AttachmentNotFound()
    await store_for(change.session).delete(attachment.storage_key)
    await repository.remove(change.session, attachment)
    return attachment


async def read(
    session: AsyncSession, owner: tuple[OwnerType, UUID], attachment_id: UUID
) -> tuple[Attachment, bytes]:
    """The owner's attachment and its bytes (else 404); the caller checked the owner is readable."""
    owner_type, owner_id = owner
    attachment = await repository.get(session, owner_type, owner_id, attachment_id)
    content = await store_for(session).get(attachment.storage_key) if attachment else None
    if attachment is None or content is None:
        raise AttachmentNotFound()
    return attachment, content


async def add_to_proposal(
    change: Change, proposal_id: UUID, upload: Upload, expected: IfMatch | None, rules: ProposalPolicy
) -> tuple[Attachment, Proposal]:
    """Adds the file to the draft, once every rule of `domain.admit` holds (`rules`: the caller's
    organization's policy, the draft's own); its bytes to the store."""
    added: list[Attachment] = []

    async def decide(proposal: Facts) -> Decision[Status]:
        owner = (OwnerType.PROPOSAL, proposal.id)
        organization = proposal.author_kind.is_organization
        attachment = await store(change, owner, proposal.org_id, upload, rules, organization=organization)
        added.append(attachment)
        edit = proposals.edit(proposal, {}, rules)
        return dataclasses.replace(edit, note=f"attachment added: {attachment.id} {attachment.file_name}")

    proposal = await proposal_service.edit_draft(change, proposal_id, expected, decide)
    return added[0], proposal


async def add_to_reply(
    change: Change, proposal_id: UUID, reply_id: UUID, upload: Upload, rules: ProposalPolicy
) -> Attachment:
    """The reply letter's attachment (rule 15: the letter's text and attachment), added by the unit
    that replied (its users, its partner client), under the proposal's lock; another unit's reply
    is 404. Admitted by the same rules as a proposal's (material only: a seal is an organization
    proposal's)."""
    facts = await proposal_service.lock_readable(change, proposal_id)
    reply = await _reply_seen(change.session, change.person, proposal_id, reply_id)
    owner = (OwnerType.REPLY, reply.id)
    return await store(change, owner, facts.org_id, upload, rules, organization=False)


async def _reply_seen(
    session: AsyncSession, principal: Principal, proposal_id: UUID, reply_id: UUID
) -> Reply:
    """The proposal's reply as the caller may see it: a unit its own only (else 404)."""
    reply = await session.get(Reply, reply_id)
    unit = proposal_repository.acts_for_unit(principal)
    if reply is None or reply.proposal_id != proposal_id or (unit is not None and reply.unit_id != unit):
        raise ReplyNotFound()
    return reply


async def remove_from_proposal(
    change: Change, proposal_id: UUID, attachment_id: UUID, expected: IfMatch | None
) -> Proposal:
    """Removes the attachment and its bytes from the draft."""

    async def decide(proposal: Facts) -> Decision[Status]:
        attachment = await remove(change, (OwnerType.PROPOSAL, proposal.id), attachment_id)
        rules = await proposal_repository.policy_for(change.session, proposal.org_id)
        edit = proposals.edit(proposal, {}, rules)
        return dataclasses.replace(edit, note=f"attachment removed: {attachment.id} {attachment.file_name}")

    return await proposal_service.edit_draft(change, proposal_id, expected, decide)


async def _readable(session: AsyncSession, principal: Principal, proposal_id: UUID) -> None:
    if not await proposal_repository.readable_exists(session, principal, proposal_id):
        raise ProposalNotFound()


async def list_for_proposal(
    session: AsyncSession, principal: Principal, proposal_id: UUID
) -> list[Attachment]:
    """The proposal's attachments, for whoever may read the proposal (else 404)."""
    await _readable(session, principal, proposal_id)
    return await repository.list_for(session, OwnerType.PROPOSAL, proposal_id)


async def read_from_proposal(
    session: AsyncSession, principal: Principal, proposal_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    """One attachment and its bytes, for whoever may read the proposal (else 404)."""
    await _readable(session, principal, proposal_id)
    return await read(session, (OwnerType.PROPOSAL, proposal_id), attachment_id)


async def list_for_reply(
    session: AsyncSession, principal: Principal, proposal_id: UUID, reply_id: UUID
) -> list[Attachment]:
    """A reply's attachments, read like the reply: whoever may read the proposal, a unit its own."""
    await _readable(session, principal, proposal_id)
    reply = await _reply_seen(session, principal, proposal_id, reply_id)
    return await repository.list_for(session, OwnerType.REPLY, reply.id)


async def read_from_reply(
    session: AsyncSession, principal: Principal, proposal_id: UUID, reply_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    """One attachment of a reply and its bytes, read like the reply (else 404)."""
    await _readable(session, principal, proposal_id)
    reply = await _reply_seen(session, principal, proposal_id, reply_id)
    return await read(session, (OwnerType.REPLY, reply.id), attachment_id)
