"""SMS: a provider interface, a real HTTP provider, and a local one for development and tests."""

import logging
from datetime import datetime
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.ids import new_id
from member_svc.identity.models import LocalSmsMessage
from member_svc.settings import Settings

log = logging.getLogger("member_svc.sms")


class SmsProvider(Protocol):
    async def send(self, phone: str, text: str, now: datetime) -> None: ...


class HttpSmsProvider:
    """Posts `{phone, text}` as JSON to the operator's SMS gateway with a bearer token."""

    def __init__(self, url: str, token: str | None, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.token = token
        self.client = client or httpx.AsyncClient(timeout=10.0)

    async def send(self, phone: str, text: str, now: datetime) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.client.post(self.url, json={"phone": phone, "text": text}, headers=headers)
        response.raise_for_status()


class LocalSmsProvider:
    """Records messages in `local_sms_messages` and the log instead of sending them."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def send(self, phone: str, text: str, now: datetime) -> None:
        async with self.sessionmaker() as session, session.begin():
            session.add(LocalSmsMessage(id=new_id(), phone=phone, text=text, sent_at=now))
        log.info("sms (local provider, not sent)", extra={"phone": phone, "text": text})


def build_provider(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> SmsProvider:
    if settings.sms_provider == "http":
        if not settings.sms_http_url:
            raise SystemExit("MEMBER_SMS_HTTP_URL is required with MEMBER_SMS_PROVIDER=http")
        token = settings.sms_http_token.get_secret_value() if settings.sms_http_token else None
        return HttpSmsProvider(settings.sms_http_url, token)
    return LocalSmsProvider(sessionmaker)
