"""Every query of the attachments context. Who may see an attachment is who may read its owner."""

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from proposal_svc.attachments.domain import OwnerType, Purpose
from proposal_svc.attachments.models import Attachment


async def count(
    session: AsyncSession, owner_type: OwnerType, owner_id: UUID, *, purpose: Purpose | None = None
) -> int:
    query = select(func.count()).where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
    if purpose is not None:
        query = query.where(Attachment.purpose == purpose)
    return int((await session.execute(query)).scalar_one())


async def list_for(session: AsyncSession, owner_type: OwnerType, owner_id: UUID) -> list[Attachment]:
    """The owner's attachments in the order they were added (the policy bounds how many)."""
    query = (
        select(Attachment)
        .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return list((await session.execute(query)).scalars())


async def get(
    session: AsyncSession, owner_type: OwnerType, owner_id: UUID, attachment_id: UUID
) -> Attachment | None:
    query = select(Attachment).where(
        Attachment.id == attachment_id, Attachment.owner_type == owner_type, Attachment.owner_id == owner_id
    )
    return (await session.execute(query)).scalar_one_or_none()


def add(session: AsyncSession, attachment: Attachment) -> None:
    session.add(attachment)


async def remove(session: AsyncSession, attachment: Attachment) -> None:
    await session.delete(attachment)
