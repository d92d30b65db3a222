"""A person's preferences (one row per person who changed anything; everyone else has the policy's)."""

from datetime import datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String, Time
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from notify_svc.models import Base


class PreferenceRow(Base):
    __tablename__ = "channel_preferences"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    locale: Mapped[str] = mapped_column(String(5))
    quiet_enabled: Mapped[bool] = mapped_column(Boolean)
    quiet_start: Mapped[time] = mapped_column(Time)
    quiet_end: Mapped[time] = mapped_column(Time)
    # The SMS number, AES-GCM under NOTIFY_WEBHOOK_KEY and bound to the person (notify_svc/crypto.py).
    sms_phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The plaintext column of before migration 0008: always NULL now (0008 encrypted what it held;
    # the worker encrypts what a pod of the previous release wrote during a rollout). Dropped later.
    sms_phone: Mapped[str | None] = mapped_column(String(20))
    # {category: {"push": bool, "sms": bool}}: only the categories the person changed.
    categories: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
