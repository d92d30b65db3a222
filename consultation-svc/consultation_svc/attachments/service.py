"""Attachments of consultation objects, for the owning context's use cases: the owner decides who
may see and change its files (an activity: `readable` and its table's ATTACH); these functions admit
a file by the shared rules (`cppcc_common.attachments`), store its bytes and keep its row."""

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.attachments.models import Attachment
from cppcc_common.attachments import (
    AttachmentNotFound,
    AttachmentRules,
    Upload,
    admit,
    clean_file_name,
    media_type,
)
from cppcc_common.attachments_store import store_for
from cppcc_common.change import Change
from cppcc_common.ids import new_id


async def count(session: AsyncSession, owner_type: str, owner_id: UUID) -> int:
    query = select(func.count()).where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
    return int((await session.execute(query)).scalar_one())


async def list_for(session: AsyncSession, owner_type: str, owner_id: UUID) -> list[Attachment]:
    """The owner's attachments in the order they were added (the policy bounds how many)."""
    query = (
        select(Attachment)
        .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return list((await session.execute(query)).scalars())


async def ids_of(session: AsyncSession, owner_type: str, owner_id: UUID) -> list[UUID]:
    return [a.id for a in await list_for(session, owner_type, owner_id)]


async def add(
    change: Change, owner: tuple[str, UUID], org_id: UUID, upload: Upload, rules: AttachmentRules
) -> Attachment:
    """Admits the file against what the owner holds, stores its bytes and adds its row; the caller
    holds the owner's lock (so the policy's count holds under races)."""
    clean_file_name(upload.file_name)  # 422 before the count is read
    admit(upload, rules, held=await count(change.session, *owner))
    return await keep(change, owner, org_id, upload)


async def keep(change: Change, owner: tuple[str, UUID], org_id: UUID, upload: Upload) -> Attachment:
    """Stores the bytes of a file already admitted and adds its row (the owner admitted it under
    its own lock, against the count it holds)."""
    owner_type, owner_id = owner
    name = clean_file_name(upload.file_name)
    kind = media_type(upload.content_type)
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
    change.session.add(attachment)
    return attachment


async def get(session: AsyncSession, owner_type: str, owner_id: UUID, attachment_id: UUID) -> Attachment:
    query = select(Attachment).where(
        Attachment.id == attachment_id, Attachment.owner_type == owner_type, Attachment.owner_id == owner_id
    )
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise AttachmentNotFound()
    return found


async def read(
    session: AsyncSession, owner_type: str, owner_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    attachment = await get(session, owner_type, owner_id, attachment_id)
    content = await store_for(session).get(attachment.storage_key)
    if content is None:
        raise AttachmentNotFound()
    return attachment, content


async def remove(session: AsyncSession, owner_type: str, owner_id: UUID, attachment_id: UUID) -> Attachment:
    attachment = await get(session, owner_type, owner_id, attachment_id)
    await store_for(session).delete(attachment.storage_key)
    await session.delete(attachment)
    return attachment
