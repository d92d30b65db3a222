"""Composition root of notify-svc."""

from fastapi import FastAPI

from cppcc_common.app import create_service_app
from notify_svc.inbox.handlers import CONSUMERS
from notify_svc.inbox.router import router as inbox_router
from notify_svc.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="notify-svc",
        description="消息中心、推送、短信、Webhook / inbox, push, SMS, webhooks",
        routers=[inbox_router],
        streams=["NOTIFY", "MEMBER", "PROPOSAL"],
        consumers=CONSUMERS,
    )
