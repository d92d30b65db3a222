"""member-svc verifies its own tokens straight from its signing-key table."""

from datetime import datetime, timedelta

from jwt import PyJWK
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock, SystemClock
from member_svc.models import SigningKey

# Retired keys still verify for this long (longer than an access token lives).
_GRACE = timedelta(minutes=20)


class DatabaseKeySource(KeySource):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock or SystemClock()
        self.cache: dict[str, tuple[PyJWK, datetime]] = {}

    async def get(self, kid: str) -> PyJWK | None:
        cached = self.cache.get(kid)
        if cached is None:
            async with self.sessionmaker() as session:
                row = (
                    await session.execute(
                        select(SigningKey.public_jwk, SigningKey.not_after).where(SigningKey.kid == kid)
                    )
                ).first()
            if row is None:
                return None
            cached = (PyJWK(row.public_jwk), row.not_after)
            self.cache[kid] = cached
        return cached[0] if cached[1] > self.clock.now() - _GRACE else None
