"""Async SQLAlchemy 2: engine, sessions, naming conventions, and the request's unit of work.

The unit of work commits in exactly one place: `session_scope` commits when the block ends
without an exception and rolls back otherwise. Services never call `commit()` themselves.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """A MetaData with the project's constraint naming conventions."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base for a service; each service subclasses with its own metadata."""

    metadata = make_metadata()


def async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to the asyncpg driver (accepts plain `postgresql://`)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


# An unreachable database must fail a request within seconds (answered 503 by the error
# handlers), not hold it for asyncpg's 60 s connect timeout or the pool's 30 s wait.
CONNECT_TIMEOUT_SECONDS = 5.0
POOL_TIMEOUT_SECONDS = 10.0


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine with pre-ping, so a restarted database does not fail the next request."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: commits if the block succeeds, rolls back if it raises.

    An error whose class sets `keeps_changes = True` (e.g. revoking a stolen token family while
    refusing the request) commits what was done before it is re-raised.
    """
    async with sessionmaker() as session:
        transaction = await session.begin()
        try:
            yield session
        except BaseException as exc:
            if getattr(exc, "keeps_changes", False) and transaction.is_active:
                await transaction.commit()
            else:
                await transaction.rollback()
            raise
        await transaction.commit()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(request.app.state.runtime.sessionmaker) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the client instead of after a 2xx already went out.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
