"""Composition root of notify-svc."""

import asyncio

from fastapi import FastAPI

from cppcc_common.app import Runtime, create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock
from cppcc_common.db import driver_dsn
from notify_svc.channels.inbox.router import router as inbox_router
from notify_svc.channels.inbox.stream import InboxHub
from notify_svc.channels.worker import start_worker as start_channel_worker
from notify_svc.consumers import CONSUMERS
from notify_svc.devices.router import router as devices_router
from notify_svc.preferences.router import router as preferences_router
from notify_svc.settings import Settings
from notify_svc.webhooks.consumers import CONSUMERS as WEBHOOK_CONSUMERS
from notify_svc.webhooks.delivery import start_worker
from notify_svc.webhooks.router import router as webhooks_router


async def start_inbox_hub(runtime: Runtime) -> None:
    """The live stream's LISTEN connection, listening before the first request is served."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    hub = InboxHub(driver_dsn(settings.database_url), max_per_person=settings.inbox_stream_max_per_person)
    await hub.connect()
    runtime.extras["inbox_hub"] = hub
    task = asyncio.ensure_future(hub.run())
    task.set_name("inbox-listen")
    runtime.tasks.append(task)  # cancelled, and its connection closed, when the runtime stops


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="notify-svc",
        description="消息中心、推送、短信、Webhook / inbox, push, SMS, webhooks",
        routers=[inbox_router, devices_router, preferences_router, webhooks_router],
        key_source=key_source,
        clock=clock,
        streams=["NOTIFY", "MEMBER", "PROPOSAL", "CONSULTATION"],
        consumers=[*CONSUMERS, *WEBHOOK_CONSUMERS],
        on_startup=[start_inbox_hub],
        scanners=[
            *([start_worker] if settings.webhook_worker_enabled else []),
            *([start_channel_worker] if settings.channel_worker_enabled else []),
        ],
        tags={
            "inbox": "我的消息：列表、未读数、已读、删除、实时推送 / my inbox: list, unread count, mark read, delete, live stream",
            "devices": "我的推送设备：登记、列表、移除、退出登录 / my push devices: register, list, remove, sign out",
            "preferences": "我的通知偏好：渠道、语言、免打扰时段 / my notification preferences: channels, language, quiet hours",
            "webhooks": "合作系统的 Webhook 端点 / partner systems' webhook endpoints",
        },
    )
