"""One-time SMS codes for login and password reset: 6 digits, hashed, short-lived, few attempts."""

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.ids import new_id
from member_svc.identity.errors import InvalidSmsCode, SmsTooFrequent
from member_svc.identity.models import SmsCode
from member_svc.settings import Settings

PURPOSES = ("login", "reset_password")
TEXTS = {
    "login": "【掌上政协】您的登录验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。",
    "reset_password": "【掌上政协】您正在重置密码，验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。",
}


def _hash(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


async def issue_code(
    session: AsyncSession, *, phone: str, purpose: str, now: datetime, settings: Settings
) -> str:
    """A new code for the phone, unless one was issued within the resend interval."""
    latest = (
        await session.execute(
            select(SmsCode.created_at)
            .where(SmsCode.phone == phone, SmsCode.purpose == purpose)
            .order_by(SmsCode.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    resend_at = latest + timedelta(seconds=settings.sms_code_resend_seconds) if latest else None
    if resend_at is not None and resend_at > now:
        wait = max(1, math.ceil((resend_at - now).total_seconds()))
        raise SmsTooFrequent(headers={"Retry-After": str(wait)}, retry_after=wait)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        SmsCode(
            id=new_id(),
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.sms_code_minutes),
            attempts=0,
        )
    )
    return code


def message(purpose: str, code: str, settings: Settings) -> str:
    return TEXTS[purpose].format(code=code, minutes=settings.sms_code_minutes)


async def consume_code(
    session: AsyncSession, *, phone: str, purpose: str, code: str, now: datetime, settings: Settings
) -> None:
    """Accepts the newest live code once; a wrong guess uses up one of its attempts."""
    current = (
        await session.execute(
            select(SmsCode)
            .where(
                SmsCode.phone == phone,
                SmsCode.purpose == purpose,
                SmsCode.used_at.is_(None),
                SmsCode.expires_at > now,
            )
            .order_by(SmsCode.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if current is None or current.attempts >= settings.sms_code_max_attempts:
        raise InvalidSmsCode()
    if not hmac.compare_digest(current.code_hash, _hash(phone, code)):
        current.attempts += 1
        raise InvalidSmsCode()
    current.used_at = now
