"""Brute-force protection: failed logins counted per phone and per IP; over the limit, locked."""

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from member_svc.identity.errors import AccountLocked
from member_svc.identity.models import LoginThrottle
from member_svc.settings import Settings


def throttle_keys(phone: str, ip: str | None) -> list[str]:
    """The keys a login attempt counts against: the phone, and the client's address."""
    return [f"phone:{phone}", *([f"ip:{ip}"] if ip else [])]


def _limit(key: str, settings: Settings) -> int:
    return (
        settings.login_max_failures_per_ip if key.startswith("ip:") else settings.login_max_failures_per_phone
    )


async def ensure_not_locked(session: AsyncSession, keys: list[str], now: datetime) -> None:
    """Refuses with 429 + Retry-After while any of the keys is locked."""
    rows = (await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))).scalars()
    until = max((r.locked_until for r in rows if r.locked_until and r.locked_until > now), default=None)
    if until is not None:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        raise AccountLocked(headers={"Retry-After": str(seconds)}, retry_after=seconds)


async def record_failure(session: AsyncSession, keys: list[str], now: datetime, settings: Settings) -> None:
    """Counts a failure on every key (a fresh window if the old one passed) and locks at the limit."""
    window_start = now - timedelta(minutes=settings.login_failure_window_minutes)
    stale = LoginThrottle.window_started_at < window_start
    for key in keys:
        first = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
        stmt = first.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((stale, 1), else_=LoginThrottle.failures + 1),
                "window_started_at": case((stale, now), else_=LoginThrottle.window_started_at),
            },
        ).returning(LoginThrottle.failures)
        failures = (await session.execute(stmt)).scalar_one()
        if failures >= _limit(key, settings):
            locked_until = now + timedelta(minutes=settings.login_lock_minutes)
            await session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key)
                .values(locked_until=locked_until, failures=0, window_started_at=now)
            )


async def record_success(session: AsyncSession, phone: str) -> None:
    """A successful login clears the phone's counter (the IP's keeps counting other phones)."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == f"phone:{phone}"))
