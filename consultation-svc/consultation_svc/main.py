"""Composition root of consultation-svc."""

from fastapi import FastAPI

from consultation_svc.activities.permissions import MANAGE_WORKING_CALENDAR
from consultation_svc.activities.router import router as activities_router
from consultation_svc.activities.scanners import closings, reminders
from consultation_svc.members.consumers import CONSUMERS as MEMBER_CONSUMERS
from consultation_svc.plans.forms import router as forms_router
from consultation_svc.plans.router import router as plans_router
from consultation_svc.settings import Settings
from consultation_svc.topics.router import router as topics_router
from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock
from cppcc_common.workdays_router import working_calendar_router


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="consultation-svc",
        description="年度协商计划、协商活动、参与与成果 / plans, activities, participation, outcomes",
        routers=[
            forms_router,
            plans_router,
            topics_router,
            working_calendar_router("/api/v1/consultations", permission=MANAGE_WORKING_CALENDAR),
            activities_router,
        ],
        key_source=key_source,
        clock=clock,
        streams=["CONSULTATION", "MEMBER"],
        consumers=[*MEMBER_CONSUMERS],
        scanners=[reminders, closings],
        tags={
            "consultations": "协商形式等协商参考数据 / consultation forms and reference data",
            "consultation-plans": "年度协商计划 / annual consultation plans",
            "consultation-topics": "协商议题征集 / topic collection",
            "activities": "协商活动：安排、邀请、通知与材料、请假、出勤、结束 / activities: scheduling, invitees, "
            "notice and materials, leave, attendance, closing",
            "working-calendar": "工作日安排：节假日与调休（管理员）/ working days: holidays and make-up workdays (admin)",
        },
    )
