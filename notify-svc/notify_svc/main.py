"""Composition root of notify-svc."""

from fastapi import FastAPI

from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock
from notify_svc.inbox.handlers import CONSUMERS
from notify_svc.inbox.router import router as inbox_router
from notify_svc.settings import Settings
from notify_svc.webhooks.consumers import CONSUMERS as WEBHOOK_CONSUMERS
from notify_svc.webhooks.delivery import start_worker
from notify_svc.webhooks.router import router as webhooks_router


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="notify-svc",
        description="消息中心、推送、短信、Webhook / inbox, push, SMS, webhooks",
        routers=[inbox_router, webhooks_router],
        key_source=key_source,
        clock=clock,
        streams=["NOTIFY", "MEMBER", "PROPOSAL"],
        consumers=[*CONSUMERS, *WEBHOOK_CONSUMERS],
        scanners=[start_worker] if settings.webhook_worker_enabled else [],
        tags={
            "inbox": "我的消息：列表、未读数、已读 / my inbox: list, unread count, mark read",
            "webhooks": "合作系统的 Webhook 端点 / partner systems' webhook endpoints",
        },
    )
