"""Identity use cases: log in with phone + password, rotate refresh tokens, read oneself.

Every state change (a sign-in's token, a refresh's rotation, a password set, a logout) takes the
request's `Change`: its session, and `now` from the runtime's clock."""

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.contracts.member import SessionsEndedV1
from cppcc_common.errors import NotFound
from cppcc_common.ids import new_id
from member_svc.identity import sms_codes, throttle
from member_svc.identity.errors import (
    InvalidRefreshToken,
    InvalidSmsCode,
    LoginFailed,
    RefreshTokenReused,
    WeakPassword,
    WrongCurrentPassword,
)
from member_svc.identity.keys import KeyCipher, current_signing_key
from member_svc.identity.models import PartnerClient, RefreshToken
from member_svc.identity.passwords import hash_password, password_is_strong, verify_password
from member_svc.identity.schemas import TokenPair
from member_svc.identity.sms import SmsProvider
from member_svc.models import Person
from member_svc.settings import Settings


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_tokens(
    change: Change,
    *,
    person: Person,
    settings: Settings,
    cipher: KeyCipher,
    family_id: UUID | None = None,
) -> TokenPair:
    """A signed access token and a new refresh token (stored hashed) for the person."""
    now = change.now
    kid, private = await current_signing_key(change.session, cipher, now, settings.signing_key_days)
    access_ttl = timedelta(minutes=settings.access_token_minutes)
    family_id = family_id or new_id()
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(person.id),
        "org": str(person.org_id),
        "roles": list(person.roles),
        "scopes": list(person.scopes or []),
        "iat": int(now.timestamp()),
        "exp": int((now + access_ttl).timestamp()),
        "jti": str(new_id()),
        # The session (refresh-token family) the token belongs to: what a push device registered
        # with it is bound to, and forgotten with at sign-out (SessionsEndedV1).
        "sid": str(family_id),
    }
    if person.unit_id:
        claims["unit"] = str(person.unit_id)
    access = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid})
    refresh = secrets.token_urlsafe(32)
    refresh_ttl = timedelta(days=settings.refresh_token_days)
    change.session.add(
        RefreshToken(
            id=new_id(),
            person_id=person.id,
            family_id=family_id,
            token_hash=_hash_token(refresh),
            created_at=now,
            expires_at=now + refresh_ttl,
        )
    )
    return TokenPair(
        access_token=access,
        expires_in=int(access_ttl.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=int(refresh_ttl.total_seconds()),
    )


async def _person_by_phone(session: AsyncSession, phone: str) -> Person | None:
    return (await session.execute(select(Person).where(Person.phone == phone))).scalar_one_or_none()


async def login_with_password(
    change: Change, *, phone: str, password: str, ip: str | None, settings: Settings, cipher: KeyCipher
) -> TokenPair:
    """Phone + password; failures count per phone and per IP, and lock both at the limit."""
    session, now = change.session, change.now
    keys = throttle.throttle_keys(phone, ip)
    await throttle.ensure_not_locked(session, keys, now)
    person = await _person_by_phone(session, phone)
    if not await verify_password(person.password_hash if person else None, password) or person is None:
        await throttle.record_failure(session, keys, now, settings)
        raise LoginFailed()
    await throttle.record_success(session, phone)
    return await issue_tokens(change, person=person, settings=settings, cipher=cipher)


async def request_sms_code(
    change: Change, *, phone: str, purpose: str, provider: SmsProvider, settings: Settings
) -> None:
    """Sends a code if the phone has an account. A known and an unknown phone are answered and
    rate-limited alike (no enumeration): the code is issued for either, and sent only to an account."""
    session, now = change.session, change.now
    code = await sms_codes.issue_code(session, phone=phone, purpose=purpose, now=now, settings=settings)
    if await _person_by_phone(session, phone) is not None:
        await provider.send(phone, sms_codes.message(purpose, code, settings), now)


async def login_with_sms(
    change: Change, *, phone: str, code: str, ip: str | None, settings: Settings, cipher: KeyCipher
) -> TokenPair:
    """Phone + SMS code, throttled like passwords."""
    session, now = change.session, change.now
    keys = throttle.throttle_keys(phone, ip)
    await throttle.ensure_not_locked(session, keys, now)
    try:
        await sms_codes.consume_code(
            session, phone=phone, purpose="login", code=code, now=now, settings=settings
        )
    except InvalidSmsCode:
        await throttle.record_failure(session, keys, now, settings)
        raise
    person = await _person_by_phone(session, phone)
    if person is None:
        raise InvalidSmsCode()
    await throttle.record_success(session, phone)
    return await issue_tokens(change, person=person, settings=settings, cipher=cipher)


def _check_strength(password: str, settings: Settings) -> None:
    if not password_is_strong(password, settings.password_min_length):
        raise WeakPassword(min_length=settings.password_min_length)


class EndReason:
    """Why sessions ended (SessionsEndedV1.reason)."""

    SIGN_OUT = "sign_out"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"


async def _ended(
    change: Change,
    person_id: UUID,
    reason: str,
    *,
    session_ids: list[UUID] | None = None,
    all_sessions: bool = False,
) -> None:
    """Tells the other services that sessions of the person ended (notify-svc forgets the devices
    registered under them), in the transaction that revoked them."""
    person = await change.session.get(Person, person_id)
    if person is None:
        return
    await change.emit(
        SessionsEndedV1(
            person_id=person.id,
            org_id=person.org_id,
            reason=reason,
            session_ids=session_ids or [],
            all_sessions=all_sessions,
            ended_at=change.now,
        ),
        subject=person.id,
        orgid=person.org_id,
        actor=person.id,
    )


async def _revoke_all(change: Change, person_id: UUID, reason: str) -> None:
    """Signs the person out everywhere: every refresh token revoked, every session ended."""
    await change.session.execute(
        update(RefreshToken)
        .where(RefreshToken.person_id == person_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=change.now)
    )
    await _ended(change, person_id, reason, all_sessions=True)


async def _revoke_family(change: Change, stored: RefreshToken, reason: str) -> None:
    """Ends one session: its refresh-token family revoked (if it was not already)."""
    result = await change.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == stored.family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=change.now)
    )
    if getattr(result, "rowcount", 0):
        await _ended(change, stored.person_id, reason, session_ids=[stored.family_id])


async def reset_password(
    change: Change, *, phone: str, code: str, new_password: str, ip: str | None, settings: Settings
) -> None:
    """With a reset code: sets the password and signs the person out everywhere. Wrong codes count
    toward the phone's and the address's lock-out, as failed logins do."""
    session, now = change.session, change.now
    _check_strength(new_password, settings)
    keys = throttle.throttle_keys(phone, ip)
    await throttle.ensure_not_locked(session, keys, now)
    try:
        await sms_codes.consume_code(
            session, phone=phone, purpose="reset_password", code=code, now=now, settings=settings
        )
    except InvalidSmsCode:
        await throttle.record_failure(session, keys, now, settings)
        raise
    person = await _person_by_phone(session, phone)
    if person is None:
        raise InvalidSmsCode()
    await throttle.record_success(session, phone)
    person.password_hash = await hash_password(new_password)
    await _revoke_all(change, person.id, EndReason.PASSWORD_RESET)


async def change_password(
    change: Change, *, person_id: UUID, current: str, new: str, settings: Settings, cipher: KeyCipher
) -> TokenPair:
    """Needs the current password; other sessions are signed out, this one gets fresh tokens."""
    person = await get_person(change.session, person_id)
    if not await verify_password(person.password_hash, current):
        raise WrongCurrentPassword()
    _check_strength(new, settings)
    person.password_hash = await hash_password(new)
    await _revoke_all(change, person.id, EndReason.PASSWORD_CHANGED)
    return await issue_tokens(change, person=person, settings=settings, cipher=cipher)


async def logout(change: Change, *, refresh_token: str) -> None:
    """Revokes the refresh token's whole family (this device's session); the session's end is
    published once (a second logout with the same token changes nothing and tells nobody)."""
    stored = (
        await change.session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == _hash_token(refresh_token))
        )
    ).scalar_one_or_none()
    if stored is not None:
        await _revoke_family(change, stored, EndReason.SIGN_OUT)


async def partner_token(
    change: Change, client: PartnerClient, *, settings: Settings, cipher: KeyCipher
) -> tuple[str, int]:
    """An access token for a partner system: role `partner`, bound to its unit; no refresh token."""
    now = change.now
    kid, private = await current_signing_key(change.session, cipher, now, settings.signing_key_days)
    ttl = timedelta(minutes=settings.partner_token_minutes)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(client.id),
        "org": str(client.org_id),
        "roles": ["partner"],
        "scopes": [s for s in client.scopes.split() if s],
        "unit": str(client.unit_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": str(new_id()),
    }
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid}), int(ttl.total_seconds())


async def refresh_tokens(change: Change, *, token: str, settings: Settings, cipher: KeyCipher) -> TokenPair:
    """Rotates a refresh token; presenting an already-used one revokes its whole family (theft)."""
    session, now = change.session, change.now
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == _hash_token(token)).with_for_update()
        )
    ).scalar_one_or_none()
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise InvalidRefreshToken()
    if stored.used_at is not None:
        await _revoke_family(change, stored, EndReason.REFRESH_TOKEN_REUSED)
        raise RefreshTokenReused()
    stored.used_at = now
    person = await session.get(Person, stored.person_id)
    if person is None:
        raise InvalidRefreshToken()
    return await issue_tokens(
        change, person=person, settings=settings, cipher=cipher, family_id=stored.family_id
    )


async def get_person(session: AsyncSession, person_id: UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    return person
