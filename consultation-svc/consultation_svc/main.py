"""Composition root of consultation-svc."""

from fastapi import FastAPI

from consultation_svc.activities.permissions import MANAGE_WORKING_CALENDAR
from consultation_svc.activities.router import router as activities_router
from consultation_svc.activities.scanners import checkin_openings, closings, reminders
from consultation_svc.calendar.router import router as calendar_router
from consultation_svc.checkin.router import router as checkin_router
from consultation_svc.deliberation.router import router as deliberation_router
from consultation_svc.members.consumers import CONSUMERS as MEMBER_CONSUMERS
from consultation_svc.outcomes.consumers import CONSUMERS as UNIT_CONSUMERS
from consultation_svc.outcomes.router import router as outcomes_router
from consultation_svc.outcomes.scanners import feedback_deadlines
from consultation_svc.plans.forms import router as forms_router
from consultation_svc.plans.router import router as plans_router
from consultation_svc.settings import Settings
from consultation_svc.speeches.router import router as speeches_router
from consultation_svc.topics.router import router as topics_router
from consultation_svc.written.router import router as written_router
from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock
from cppcc_common.workdays_router import working_calendar_router

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
        routers=[
            forms_router,
            plans_router,
            topics_router,
            working_calendar_router("/api/v1/consultations", permission=MANAGE_WORKING_CALENDAR),
            activities_router,
            *PARTICIPATION_ROUTERS,
            outcomes_router,
        ],
        key_source=key_source,
        clock=clock,
        streams=["CONSULTATION", "MEMBER"],
        consumers=[*MEMBER_CONSUMERS, *UNIT_CONSUMERS],
        scanners=[reminders, checkin_openings, closings, feedback_deadlines],
        tags={
            "consultations": "协商形式等协商参考数据 / consultation forms and reference data",
            "consultation-plans": "年度协商计划 / annual consultation plans",
            "consultation-topics": "协商议题征集 / topic collection",
            "activities": "协商活动：安排、邀请、通知与材料、请假、出勤、结束 / activities: scheduling, invitees, "
            "notice and materials, leave, attendance, closing",
            "working-calendar": "工作日安排：节假日与调休（管理员）/ working days: holidays and make-up workdays (admin)",
            "checkin": "签到：会场动态二维码与扫码签到签退 / QR check-in at the venue",
            "speeches": "发言：登记发言、书面发言、发言采用 / speeches",
            "written consultation": "书面协商 / written consultation",
            "online deliberation": "网络议政 / online deliberation",
            "calendar": "我的活动日历与订阅链接 / a member's calendar and feed",
            "outcomes": "协商成果：起草、报送、领导批示、反馈、跟踪、年度跟踪表 / outcomes: drafting, sending, "
            "instructions, feedback, follow-up, year-end tracking",
        },
    )
