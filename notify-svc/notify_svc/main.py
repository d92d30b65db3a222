"""Composition root of notify-svc."""

from fastapi import FastAPI

from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock
from notify_svc.channels.inbox.router import router as inbox_router
from notify_svc.consumers import CONSUMERS
from notify_svc.settings import Settings


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="notify-svc",
        description="消息中心、推送、短信、Webhook / inbox, push, SMS, webhooks",
        routers=[inbox_router],
        key_source=key_source,
        clock=clock,
        streams=["NOTIFY", "MEMBER", "PROPOSAL", "CONSULTATION"],
        consumers=CONSUMERS,
        tags={"inbox": "我的消息：列表、未读数、已读 / my inbox: list, unread count, mark read"},
    )
