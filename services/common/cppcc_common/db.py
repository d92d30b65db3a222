"""Async SQLAlchemy 2: engine, sessions, naming conventions, and the request's unit of work.

The unit of work commits in exactly one place: `request_unit` (a request's, held at the driver,
its ORM session made on first use on the same connection) and `session_scope` (a consumer's, a
scan's, a command's) commit when the block ends without an exception and roll back otherwise.
Services never call `commit()` themselves.

A route that only reads with a single statement takes `ReadSessionDep` instead: its session runs
in autocommit, so the statement is one round trip, with no BEGIN and COMMIT around it. The hottest
reads (an unread count, an inbox page, a proposal by id) take `ReadConnectionDep`: a plain asyncpg
pool (`ReadPool`) for one hand-written statement — SQLAlchemy's statement path costs about four
times the query's own client-side work, and its pool checkout about as much again.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.util import greenlet_spawn

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


# Publish on commit. A process that runs an outbox relay attaches its `wake` to its sessionmaker
# (`publish_on_commit`): a unit of work from it that staged events wakes the relay, in-process, once
# its transaction has committed, and the outbox row is written without a NOTIFY. PostgreSQL takes a
# global lock at the commit of a transaction that NOTIFYs and holds it through the WAL flush, so
# such commits cannot share a flush: on this machine that halved the commit rate of a write path.
# A unit without a relay in its process (a command, the demo's seeding) NOTIFYs as before, and every
# relay polls besides: the outbox table stays the source of truth.
_RELAY_WAKE = "cppcc.relay_wake"
_STAGED = "cppcc.staged"


def publish_on_commit(sessionmaker: async_sessionmaker[AsyncSession], wake: Callable[[], None]) -> None:
    """Units of work from `sessionmaker` wake `wake` (the process's relay) after a commit that staged
    events, instead of NOTIFYing it through the database."""
    info = dict(sessionmaker.kw.get("info") or {})
    info[_RELAY_WAKE] = wake
    sessionmaker.configure(info=info)


@event.listens_for(Session, "after_transaction_end")
def _wake_relay_after_commit(session: Session, transaction: Any) -> None:
    # At the end of the root transaction (committed or not: a wake after a rollback costs one empty
    # round, and the relay only ever sees committed rows).
    if transaction.parent is None and session.info.pop(_STAGED, False):
        session.info[_RELAY_WAKE]()


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


class Unit:
    """One unit of work: one connection, one transaction, what the change reads and writes on it.

    Write paths take it (`Change.unit`) where they run hand-written statements: `await
    driver_connection(unit)` is the asyncpg connection in the transaction, `unit_cache(unit)` what
    the change keeps for the rest of the unit, `unit.session` the ORM session in the same
    transaction. A session is accepted wherever a unit is (`Work`).
    """

    __slots__ = ()

    @property
    def session(self) -> AsyncSession:
        raise NotImplementedError

    @property
    def session_if_made(self) -> AsyncSession | None:
        """The ORM session if the unit has one already (None: nothing of the unit is in one)."""
        raise NotImplementedError

    @property
    def cache(self) -> dict[Any, Any]:
        raise NotImplementedError

    async def driver(self) -> asyncpg.Connection:
        raise NotImplementedError

    def note_staged(self) -> bool:
        """Notes that events were staged in this unit; True if the unit wakes its process's relay
        after its commit (so the outbox row needs no NOTIFY)."""
        raise NotImplementedError


class SessionUnit(Unit):
    """The unit of an ORM session's transaction (`session_scope`: a consumer's delivery, a scan, a
    command): its driver connection is the session's own."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def session(self) -> AsyncSession:
        return self._session

    @property
    def session_if_made(self) -> AsyncSession | None:
        return self._session

    @property
    def cache(self) -> dict[Any, Any]:
        return unit_cache(self._session)

    async def driver(self) -> asyncpg.Connection:
        return await driver_connection(self._session)

    def note_staged(self) -> bool:
        return note_staged(self._session)


class RequestUnit(Unit):
    """A request's unit of work, held at the driver: a connection checked out of the engine's pool,
    its transaction begun (BEGIN at the first statement) and committed or rolled back on the driver.

    SQLAlchemy's Session costs about 400 µs of CPU a request just to check out, begin and commit
    (measured with two statements at c32: ~790 µs a unit through `session_scope`, ~390 µs on the
    pooled connection at the driver). The ORM session is made only if the request uses it
    (`unit.session`): bound to the same connection, so what it flushes commits in the same
    transaction as the driver's statements and the outbox row.
    """

    __slots__ = ("_cache", "_connection", "_fairy", "_session", "_sessionmaker", "_staged", "_wake")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], fairy: Any) -> None:
        self._sessionmaker = sessionmaker
        self._fairy = fairy  # the pool's proxied connection
        self._connection: Connection | None = None
        self._session: AsyncSession | None = None
        self._cache: dict[Any, Any] = {}
        info = sessionmaker.kw.get("info")
        self._wake: Callable[[], None] | None = info.get(_RELAY_WAKE) if info else None
        self._staged = False

    @classmethod
    async def checkout(cls, sessionmaker: async_sessionmaker[AsyncSession]) -> "RequestUnit":
        engine: AsyncEngine = sessionmaker.kw["bind"]
        # The pool's checkout runs its events (the ping after idle) as for a session.
        return cls(sessionmaker, await engine.raw_connection())

    @property
    def cache(self) -> dict[Any, Any]:
        return self._cache

    @property
    def session_if_made(self) -> AsyncSession | None:
        return self._session

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            engine: AsyncEngine = self._sessionmaker.kw["bind"]
            self._connection = Connection(engine.sync_engine, connection=self._fairy)
            session = self._sessionmaker(bind=AsyncConnection(engine, self._connection))
            session.info["cppcc.unit"] = self
            session.info["cppcc.unit_cache"] = self._cache
            self._session = session
        return self._session

    async def driver(self) -> asyncpg.Connection:
        adapted = self._fairy.dbapi_connection
        if adapted is None:  # the ORM invalidated it (the database went away under a statement)
            raise DependencyUnavailable()
        if adapted._transaction is None and not adapted.autocommit:
            await adapted._start_transaction()  # as the adapter begins lazily (see driver_connection)
        driver: asyncpg.Connection = self._fairy.driver_connection
        return driver

    def note_staged(self) -> bool:
        if self._wake is None:
            return False
        self._staged = True
        return True

    async def commit(self) -> None:
        if self._session is not None:
            await self._session.commit()  # its flush, then the connection's COMMIT if it began it
        await self._end("commit")
        if self._staged and self._wake is not None:  # _wake is set whenever _staged is
            self._staged = False
            self._wake()

    async def rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()
        await self._end("rollback")

    async def _end(self, how: str) -> None:
        adapted = self._fairy.dbapi_connection
        transaction = None if adapted is None else adapted._transaction
        if transaction is None:  # nothing begun, or the connection is gone (invalidated)
            return
        try:
            await adapted._call_and_discard(getattr(transaction, how))
        except _DRIVER_ERRORS as error:
            _raise_if_gone(self._fairy.driver_connection, error)
            raise

    async def close(self) -> None:
        """Gives the connection back to the pool (a lost one is discarded, not pooled)."""
        await greenlet_spawn(self._close)

    def _close(self) -> None:
        if self._session is not None:
            self._session.sync_session.close()
        if self._fairy.is_valid and self._fairy.driver_connection.is_closed():
            self._fairy.invalidate()  # not pooled again
        if self._connection is not None:
            self._connection.close()  # gives the connection it holds back
        else:
            self._fairy.close()


Work = AsyncSession | Unit  # what a write path's statements run in


@asynccontextmanager
async def request_unit(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[RequestUnit]:
    """A request's unit of work: commits if the block succeeds, rolls back if it raises (an error
    whose class sets `keeps_changes = True` commits first, as in `session_scope`)."""
    unit = await RequestUnit.checkout(sessionmaker)
    try:
        try:
            yield unit
        except BaseException as exc:
            if getattr(exc, "keeps_changes", False):
                await unit.commit()
            else:
                await unit.rollback()
            raise
        await unit.commit()
    finally:
        await unit.close()


async def _request_unit(request: Request) -> AsyncIterator[Unit]:
    async with request_unit(request.app.state.runtime.sessionmaker) as unit:
        yield unit


# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the client instead of after a 2xx already went out.
UnitDep = Annotated[Unit, Depends(_request_unit, scope="function")]


async def _request_session(unit: UnitDep) -> AsyncSession:
    return unit.session


# The request's ORM session: that of its unit of work (one transaction with `Changing`'s change).
SessionDep = Annotated[AsyncSession, Depends(_request_session)]


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.read_sessionmaker() as session:
        yield session


# For a route that reads with one statement (a count, a row by id, a page): one round trip.
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]


async def driver_connection(session: "Work") -> asyncpg.Connection:
    """The asyncpg connection under `session`, its transaction begun: for a write path's hand-written
    statements (`$1` parameters), which then commit or roll back with the session's unit of work.

    SQLAlchemy's statement path (cache key, execution context, result processing, greenlet hops)
    costs several times a statement's own client-side work; the driver runs a prepared statement
    directly. Its jsonb columns go in as text and come out decoded (SQLAlchemy's codecs).
    A request's unit (or its session) answers its own connection without SQLAlchemy's session.
    """
    if isinstance(session, Unit):
        return await session.driver()
    unit = session.info.get("cppcc.unit")
    if unit is not None:
        return await unit.driver()
    raw = await (await session.connection()).get_raw_connection()
    adapted: Any = raw.dbapi_connection
    if adapted is None:  # pragma: no cover (a checked-out connection always has one)
        raise RuntimeError("the session's connection is closed")
    if adapted._transaction is None and not adapted.autocommit:
        # SQLAlchemy's adapter begins lazily, at its first statement; one sent straight to the driver
        # before that would run outside the transaction. Begun here exactly as the adapter does it.
        await adapted._start_transaction()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


def note_staged(session: "Work") -> bool:
    """`Unit.note_staged` for a unit or a session (a request unit's session speaks for its unit)."""
    if isinstance(session, Unit):
        return session.note_staged()
    unit = session.info.get("cppcc.unit")
    if unit is not None:
        return bool(unit.note_staged())
    if _RELAY_WAKE not in session.info:
        return False
    session.info[_STAGED] = True
    return True


def unit_cache(session: "Work") -> dict[Any, Any]:
    """Values a service keeps for the rest of this unit of work (rows it locked, what it read with
    them). A consumer clears it at each event's savepoint, so nothing outlives a rollback."""
    if isinstance(session, Unit):
        return session.cache
    cache: dict[Any, Any] = session.info.setdefault("cppcc.unit_cache", {})
    return cache


class ReadPool:
    """A plain asyncpg pool for the hottest single-statement reads: each `fetch`, `fetchrow` or
    `fetchval` draws a connection for one statement and gives it back (parameters as $1, $2 …).

    Separate from the engine's pool on purpose: a checkout through SQLAlchemy's pool and its
    driver adapter cost about as much CPU as the statement itself. A connection the database
    dropped is noticed by asyncpg itself (the pool reconnects it on the next draw); a statement
    that was on it when it died, or a pool with no free connection within the pool timeout, is
    503 with Retry-After, as for SessionDep. Columns of type json/jsonb arrive as text.
    """

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self.pool = pool
        self.size = size
        self._in_use = 0

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._run("fetch", query, args)
        return rows

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._run("fetchrow", query, args)
        return row

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, args)

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        """One statement on a connection of the pool, given back after; a lost connection is 503."""
        conn = await self._acquire()
        try:
            return await getattr(conn, method)(query, *args)
        except _DRIVER_ERRORS as error:
            _raise_if_gone(conn, error)
            raise
        finally:
            await self._release(conn)

    async def _acquire(self) -> asyncpg.Connection:
        try:
            if self._in_use < self.size:
                # A slot is free: taken without waiting (a connect, if any, has its own timeout), so
                # the timer of the pool timeout, a fifth of the read's own cost, is not armed.
                conn = await self.pool.acquire()
            else:
                conn = await self.pool.acquire(timeout=POOL_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresConnectionError) as error:
            raise DependencyUnavailable() from error  # unreachable, or no free connection in time
        self._in_use += 1
        return conn

    async def _release(self, conn: asyncpg.Connection) -> None:
        # A connection that fails its reset on the way back is terminated by the pool and replaced
        # on a later draw; the statement's answer stands.
        try:
            with contextlib.suppress(*_DRIVER_ERRORS):
                await self.pool.release(conn)
        finally:
            self._in_use -= 1  # after the release: a connection on its way back is not yet free

    async def close(self) -> None:
        await self.pool.close()


_DRIVER_ERRORS = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection left mid-operation by the server's goodbye
)


def _raise_if_gone(conn: asyncpg.Connection, error: BaseException) -> None:
    """503 when the connection died under the statement; an interface error on a live connection
    is a misuse of the driver (a bug: 500), raised as it is."""
    if not isinstance(error, asyncpg.InterfaceError) or conn.is_closed():
        raise DependencyUnavailable() from error


def driver_dsn(url: str) -> str:
    """The URL as asyncpg itself takes it (no SQLAlchemy driver name)."""
    return make_url(async_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(url: str, channel: str, on_notify: Callable[[], None]) -> None:
    """Calls `on_notify` at each NOTIFY on `channel`, for ever, on a connection of its own that is
    opened again when lost (every 2 s while the database is away). A wake-up only: whoever listens
    also polls, so a notification missed while the connection was down costs a poll interval."""
    while True:
        try:
            conn = await asyncpg.connect(driver_dsn(url))
            try:
                await conn.add_listener(channel, lambda *_: on_notify())
                while not conn.is_closed():
                    await asyncio.sleep(5)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
        except asyncio.CancelledError:
            raise
        except Exception:
            await asyncio.sleep(2)


async def create_read_pool(url: str, *, size: int = 10) -> ReadPool:
    """The read pool of a service: up to `size` connections, opened on demand and kept."""
    pool = await asyncpg.create_pool(
        driver_dsn(url),
        min_size=0,
        max_size=size,
        timeout=CONNECT_TIMEOUT_SECONDS,
        reset=_nothing_to_reset,
    )
    return ReadPool(pool, size)


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """The read pool's connections run single SELECTs: no SET, LISTEN, cursor or advisory lock to
    undo. asyncpg's default reset sends a query for those on every return, a round trip as dear as
    the read itself; the rollback of an open transaction (a cancelled statement) still happens."""


async def _read_pool(request: Request) -> ReadPool:
    # Not a `yield` dependency: FastAPI's exit stack and shielded cancel scope for one cost
    # 12–14 % of a hot read; the pool hands each statement its connection and takes it back.
    pool: ReadPool = request.app.state.runtime.read_pool
    return pool


# The read pool for the hottest single-statement reads (an unread count, an inbox page, a proposal
# by id): one statement on a driver connection, no transaction, no SQLAlchemy.
ReadConnectionDep = Annotated[ReadPool, Depends(_read_pool)]
