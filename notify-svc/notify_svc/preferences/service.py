"""Use cases of my preferences: read them (the policy's defaults until I change anything), replace them."""

from datetime import time
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.versioning import IfMatch, check_version
from notify_svc import crypto
from notify_svc.audience import URGENT
from notify_svc.preferences import repository
from notify_svc.preferences.domain import Preferences, default_preferences
from notify_svc.preferences.errors import (
    PreferencesVersionMismatch,
    SmsNumbersNotConfigured,
    UnknownCategory,
)
from notify_svc.preferences.models import PreferenceRow
from notify_svc.preferences.policy import DEFAULT_POLICY
from notify_svc.preferences.schemas import (
    CategoryRead,
    PreferencesRead,
    PreferencesWrite,
    QuietHoursRead,
    hhmm,
)
from notify_svc.rendering import template_names


def categories() -> list[str]:
    """Every category a notice can have (each has its inbox template)."""
    return template_names("inbox")


async def own(session: AsyncSession, person_id: UUID, key: bytes | None) -> Preferences:
    row = await repository.own_row(session, person_id)
    return repository.to_domain(row, key) if row else default_preferences()


async def replace_own(
    change: Change, body: PreferencesWrite, expected: IfMatch, key: bytes | None
) -> Preferences:
    """PUT: my whole preferences, at the version I read (412 otherwise; "0" before the first). My
    SMS number is kept encrypted (`key`: NOTIFY_WEBHOOK_KEY; without it no number can be kept)."""
    person = change.person
    known = set(categories())
    for category in body.categories:
        if category not in known:
            raise UnknownCategory(category=category)
    if body.sms_phone is not None and key is None:
        raise SmsNumbersNotConfigured()
    row = await repository.own_row(change.session, person.sub, for_update=True)
    check_version(row.version if row else 0, expected, error=PreferencesVersionMismatch)
    values: dict[str, object] = {
        "locale": body.locale,
        "quiet_enabled": body.quiet_hours.enabled,
        "quiet_start": time.fromisoformat(body.quiet_hours.start),
        "quiet_end": time.fromisoformat(body.quiet_hours.end),
        "sms_phone_encrypted": (
            crypto.seal_phone(key, person.sub, body.sms_phone) if key and body.sms_phone else None
        ),
        "sms_phone": None,
        "categories": {c: v.model_dump() for c, v in sorted(body.categories.items())},
        "updated_at": change.now,
    }
    if row is None:
        row = PreferenceRow(person_id=person.sub, org_id=person.org, version=1, **values)
        change.session.add(row)
    else:
        for column, value in values.items():
            setattr(row, column, value)
        row.version += 1
    await change.session.flush()
    return repository.to_domain(row, key)


def read(p: Preferences) -> PreferencesRead:
    return PreferencesRead(
        locale=p.locale,
        quiet_hours=QuietHoursRead(
            enabled=p.quiet_enabled,
            start=hhmm(p.quiet_start),
            end=hhmm(p.quiet_end),
            timezone=DEFAULT_POLICY.timezone,
        ),
        sms_phone=p.sms_phone,
        categories=[
            CategoryRead(category=c, push=ch.push, sms=ch.sms, urgent=c in URGENT)
            for c in categories()
            for ch in [p.choice(c)]
        ],
        version=p.version,
    )
