"""member-svc verifies its own tokens from its signing-key table, as every other service does from
the JWKS: the same document, re-read every `jwks_cache_seconds`, so a retired key or a revoked
partner client stops working here as fast as everywhere else."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from jwt import PyJWK
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.auth import KeySource, KeysUnavailable
from cppcc_common.clock import Clock, SystemClock
from member_svc.identity.keys import published_jwks, verifying_key
from member_svc.settings import Settings


class DatabaseKeySource(KeySource):
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock | None = None
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock or SystemClock()
        self.ttl = timedelta(seconds=settings.jwks_cache_seconds)
        self.keys: dict[str, PyJWK] = {}
        self.revoked_subjects: frozenset[UUID] = frozenset()
        self.loaded_at: datetime | None = None

    async def _read(self, query: Any) -> Any:
        try:
            async with self.sessionmaker() as session:
                return await query(session, self.clock.now(), self.settings)
        except (SQLAlchemyError, OSError) as exc:
            raise KeysUnavailable() from exc

    async def _fresh(self) -> None:
        now = self.clock.now()
        if self.loaded_at is not None and timedelta(0) <= now - self.loaded_at < self.ttl:
            return  # (a clock set back before the last read also rereads)
        jwks = await self._read(published_jwks)
        self.keys = {k["kid"]: PyJWK(k) for k in jwks["keys"]}
        self.revoked_subjects = frozenset(UUID(s) for s in jwks["revoked_subjects"])
        self.loaded_at = now

    async def get(self, kid: str) -> PyJWK | None:
        await self._fresh()
        if kid not in self.keys:
            # A key created since the last read (its first token): one indexed lookup, no full reload.
            jwk = await self._read(lambda session, now, settings: verifying_key(session, kid, now, settings))
            if jwk is None:
                return None
            self.keys[kid] = PyJWK(jwk)
        return self.keys[kid]

    async def revoked(self, sub: UUID) -> bool:
        await self._fresh()
        return sub in self.revoked_subjects
