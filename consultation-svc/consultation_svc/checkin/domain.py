"""The check-in code and the scan, as pure functions (no I/O).

The code (docs/consultation-participation.md "Check-in"): `v1.` and the base64url of the
activity's id (16 bytes), the rotation window's number (8 bytes), the rotation period in seconds
(2 bytes) and the first 16 bytes of an HMAC-SHA256 of those under the deployment's check-in key.
It names its activity, so it is refused for any other (a replay); it is valid from its window's
start until the window ends plus the grace seconds; a forged or damaged code fails the MAC. The
code names no person: the scan is made by the signed-in invitee, and the attendance recorded is
always the caller's own — a request naming anyone else is refused before it reaches this module.

The scan: the first accepted scan is the arrival; a scan of a later code is the departure (the
latest one counts); the same code scanned again by the same person changes nothing (a double tap
is no departure).
"""

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from consultation_svc.checkin.errors import CheckinClosed, CheckinCodeExpired, CheckinCodeInvalid
from consultation_svc.participation.policy import ParticipationPolicy

PREFIX = "v1."
_DOMAIN = b"cppcc-consultation-checkin-v1"
_BODY = struct.Struct(">16sQH")  # activity id, window, period
_MAC_BYTES = 16
_TOKEN_CHARS = len(PREFIX) + (_BODY.size + _MAC_BYTES) * 4 // 3 + 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Effect(StrEnum):
    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    REPEAT = "repeat"  # the same code again: nothing changes


@dataclass(frozen=True)
class Code:
    token: str
    window: int
    issued_at: datetime  # the window's start
    expires_at: datetime  # the next code replaces it
    accepted_until: datetime  # expires_at plus the grace seconds


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + body, hashlib.sha256).digest()[:_MAC_BYTES]


def _at(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _code(activity_id: UUID, window: int, period: int, grace: int, token: str) -> Code:
    start = _at(window * period)
    end = _at((window + 1) * period)
    return Code(token, window, start, end, end + timedelta(seconds=grace))


def issue(key: bytes, activity_id: UUID, now: datetime, policy: ParticipationPolicy) -> Code:
    """The code of the window `now` falls in."""
    period = policy.checkin_code_seconds
    window = int((now - _EPOCH).total_seconds()) // period
    body = _BODY.pack(activity_id.bytes, window, period)
    token = PREFIX + _b64(body + _mac(key, body))
    return _code(activity_id, window, period, policy.checkin_grace_seconds, token)


def read(key: bytes, token: str, activity_id: UUID, now: datetime, policy: ParticipationPolicy) -> Code:
    """The code if it is this activity's, genuine and current; else CheckinCodeInvalid (forged,
    damaged, another activity's, not yet issued) or CheckinCodeExpired."""
    if not token.startswith(PREFIX) or len(token) > _TOKEN_CHARS:
        raise CheckinCodeInvalid()
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :] + "=" * (-len(token) % 4))
    except (ValueError, TypeError) as exc:
        raise CheckinCodeInvalid() from exc
    if len(raw) != _BODY.size + _MAC_BYTES:
        raise CheckinCodeInvalid()
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise CheckinCodeInvalid()
    activity, window, period = _BODY.unpack(body)
    if activity != activity_id.bytes or period == 0:
        raise CheckinCodeInvalid()
    code = _code(activity_id, window, period, policy.checkin_grace_seconds, token)
    if now < code.issued_at - timedelta(seconds=policy.checkin_grace_seconds):
        raise CheckinCodeInvalid()  # not issued yet: a clock far off, or a forged window
    if now >= code.accepted_until:
        raise CheckinCodeExpired()
    return code


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime


def checkin_window(starts_at: datetime, ends_at: datetime, policy: ParticipationPolicy) -> Window:
    return Window(
        starts_at - timedelta(minutes=policy.checkin_opens_minutes_before),
        ends_at + timedelta(minutes=policy.checkin_closes_minutes_after),
    )


def check_window(window: Window, now: datetime) -> None:
    """Scans are taken from the policy's minutes before the start until the end (plus the policy's after)."""
    if not window.opens_at <= now <= window.closes_at:
        raise CheckinClosed(opens_at=window.opens_at.isoformat(), closes_at=window.closes_at.isoformat())


def effect_of(arrived_at: datetime | None, scanned_before: bool) -> Effect:
    """What a scan does: arrival first, departure after, nothing for the same code twice."""
    if scanned_before:
        return Effect.REPEAT
    return Effect.ARRIVAL if arrived_at is None else Effect.DEPARTURE


def key_bytes(configured: str) -> bytes:
    """The configured key: base64url (as the devstack makes it) or, failing that, its UTF-8 bytes."""
    try:
        raw = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
    except (ValueError, TypeError):
        raw = b""
    return raw if len(raw) >= 16 else configured.encode()
