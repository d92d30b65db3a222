"""The people context's queries: accounts by phone (a phone is one account, in one organization)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from member_svc.models import Person


async def person_by_phone(session: AsyncSession, phone: str) -> Person | None:
    return (await session.execute(select(Person).where(Person.phone == phone))).scalar_one_or_none()
