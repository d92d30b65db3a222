"""Async SQLAlchemy 2: engine, sessions, naming conventions, and the request's unit of work.

The unit of work commits in exactly one place: `session_scope` commits when the block ends
without an exception and rolls back otherwise. Services never call `commit()` themselves.

A route that only reads with a single statement takes `ReadSessionDep` instead: its session runs
in autocommit, so the statement is one round trip, with no BEGIN and COMMIT around it. The hottest
reads (an unread count, an inbox page, a proposal by id) take `ReadConnectionDep`: the asyncpg
connection itself, from the same pool, for one hand-written statement — SQLAlchemy's statement
path costs about four times the query's own client-side work, which is the whole budget there.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session

from cppcc_common.errors import DependencyUnavailable

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


# A pooled connection idle at least this long is pinged before use. One in steady use is not: the
# ping is a round trip, as dear as the statement itself on the hot reads.
PING_AFTER_IDLE_SECONDS = 1.0


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine that pings a connection idle for a while before handing it out, so a
    restarted database does not fail the next request after a quiet spell."""
    engine = create_async_engine(
        async_url(url),
        # Up to 2 × pool_size connections as before, but every one is kept: an "overflow" connection
        # is closed on return, so a burst above pool_size reconnected (and re-prepared) per request.
        pool_size=2 * pool_size,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )
    event.listen(engine.sync_engine, "checkin", _note_idle)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


def _note_idle(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool discards this connection and checks out a fresh one.
        raise exc.DisconnectionError() from error


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for single-statement reads: autocommit, so no BEGIN/COMMIT round trips (and no writes
    that could be lost: a flush outside a transaction commits each statement on its own)."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=_ReadOnlySession,
    )


class _ReadOnlySession(Session):
    """Refuses to flush: a change made through a read session is a bug, not a write."""

    def flush(self, objects: Any = None) -> None:
        if self._is_clean():
            return
        raise RuntimeError("a read session (ReadSessionDep) cannot write; use SessionDep")


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


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.read_sessionmaker() as session:
        yield session


# For a route that reads with one statement (a count, a row by id, a page): one round trip.
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]


async def _read_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    # Checked out from the engine's pool: the same connections, limits and idle ping. Statements
    # sent on the driver connection start no transaction, so returning it has nothing to roll back.
    async with request.app.state.runtime.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        try:
            yield driver
        except (
            OSError,
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,  # a connection left mid-operation by the server's goodbye
        ) as error:
            # SQLAlchemy never saw this error: tell the pool the connection is gone, or the next
            # requests (within the idle-ping time) would draw the dead connection again.
            await connection.invalidate()
            if driver.is_closed() or not isinstance(error, asyncpg.InterfaceError):
                raise DependencyUnavailable() from error  # 503 with Retry-After, as for SessionDep
            raise


# The asyncpg connection for the hottest single-statement reads (parameters as $1, $2 …). Columns
# of type json/jsonb arrive as text (SQLAlchemy's codec on these connections): decode them.
ReadConnectionDep = Annotated[asyncpg.Connection, Depends(_read_connection, scope="function")]
