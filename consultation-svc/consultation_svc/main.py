"""Composition root of consultation-svc."""

from fastapi import FastAPI

from consultation_svc.members.consumers import CONSUMERS as MEMBER_CONSUMERS
from consultation_svc.outcomes.consumers import CONSUMERS as UNIT_CONSUMERS
from consultation_svc.outcomes.router import router as outcomes_router
from consultation_svc.outcomes.scanners import feedback_deadlines
from consultation_svc.plans.forms import router as forms_router
from consultation_svc.settings import Settings
from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="consultation-svc",
        description="年度协商计划、协商活动、参与与成果 / plans, activities, participation, outcomes",
        routers=[forms_router, outcomes_router],
        key_source=key_source,
        clock=clock,
        streams=["CONSULTATION", "MEMBER"],
        consumers=[*MEMBER_CONSUMERS, *UNIT_CONSUMERS],
        scanners=[feedback_deadlines],
        tags={
            "consultations": "协商形式等协商参考数据 / consultation forms and reference data",
            "outcomes": "协商成果：起草、报送、领导批示、反馈、跟踪、年度跟踪表 / outcomes: drafting, sending, "
            "instructions, feedback, follow-up, year-end tracking",
        },
    )
