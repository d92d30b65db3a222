"""Composition root of consultation-svc."""

from fastapi import FastAPI

from consultation_svc.calendar.router import router as calendar_router
from consultation_svc.checkin.router import router as checkin_router
from consultation_svc.deliberation.router import router as deliberation_router
from consultation_svc.members.consumers import CONSUMERS as MEMBER_CONSUMERS
from consultation_svc.plans.forms import router as forms_router
from consultation_svc.settings import Settings
from consultation_svc.speeches.router import router as speeches_router
from consultation_svc.written.router import router as written_router
from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock

# Participation (docs/consultation-participation.md).
PARTICIPATION_ROUTERS = [
    checkin_router,
    speeches_router,
    written_router,
    deliberation_router,
    calendar_router,
]


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="consultation-svc",
        description="年度协商计划、协商活动、参与与成果 / plans, activities, participation, outcomes",
        routers=[forms_router, *PARTICIPATION_ROUTERS],
        key_source=key_source,
        clock=clock,
        streams=["CONSULTATION", "MEMBER"],
        consumers=[*MEMBER_CONSUMERS],
        tags={
            "consultations": "协商形式等协商参考数据 / consultation forms and reference data",
            "checkin": "签到：会场动态二维码与扫码签到签退 / QR check-in at the venue",
            "speeches": "发言：登记发言、书面发言、发言采用 / speeches",
            "written consultation": "书面协商 / written consultation",
            "online deliberation": "网络议政 / online deliberation",
            "calendar": "我的活动日历与订阅链接 / a member's calendar and feed",
        },
    )
