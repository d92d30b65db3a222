"""Composition root of proposal-svc."""

from fastapi import FastAPI

from cppcc_common.app import create_service_app
from cppcc_common.auth import KeySource
from cppcc_common.clock import Clock
from cppcc_common.workdays_router import working_calendar_router
from proposal_svc.attachments.router import reply_router as reply_attachments_router
from proposal_svc.attachments.router import router as attachments_router
from proposal_svc.evaluation.router import router as evaluation_router
from proposal_svc.evaluation.scanners import evaluation_windows
from proposal_svc.evaluation.service import recount_provisional_windows
from proposal_svc.handling.consumers import CONSUMERS as HANDLING_CONSUMERS
from proposal_svc.handling.router import router as handling_router
from proposal_svc.handling.scanners import reply_deadlines
from proposal_svc.history.router import router as history_router
from proposal_svc.opinions.router import router as opinions_router
from proposal_svc.policies.router import MANAGE_WORKING_CALENDAR
from proposal_svc.policies.router import router as policies_router
from proposal_svc.proposals.consumers import CONSUMERS
from proposal_svc.proposals.router import router as proposals_router
from proposal_svc.proposals.scanners import cosign_deadlines
from proposal_svc.publication.router import router as publication_router
from proposal_svc.publication.scanners import publication_windows
from proposal_svc.settings import Settings
from proposal_svc.similar.consumers import CONSUMERS as SIMILAR_CONSUMERS
from proposal_svc.similar.router import router as similar_router
from proposal_svc.statistics.consumers import CONSUMERS as STATISTICS_CONSUMERS
from proposal_svc.statistics.router import router as statistics_router


def create_app(
    settings: Settings | None = None, *, key_source: KeySource | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="proposal-svc",
        description="提案与社情民意信息 / proposals and public-opinion reports",
        # The policy's fixed path before the proposals' /{proposal_id}, which would take it for an id.
        routers=[
            working_calendar_router(
                "/api/v1/proposals",
                permission=MANAGE_WORKING_CALENDAR,
                on_entered=recount_provisional_windows,
            ),
            policies_router,
            publication_router,  # /published before the proposals' /{proposal_id}
            statistics_router,  # /office, /statistics before the proposals' /{proposal_id}
            similar_router,
            proposals_router,
            attachments_router,
            reply_attachments_router,
            handling_router,
            evaluation_router,
            history_router,
            opinions_router,
        ],
        key_source=key_source,
        clock=clock,
        streams=["PROPOSAL", "MEMBER"],
        consumers=[*CONSUMERS, *HANDLING_CONSUMERS, *SIMILAR_CONSUMERS, *STATISTICS_CONSUMERS],
        scanners=[cosign_deadlines, reply_deadlines, evaluation_windows, publication_windows],
        tags={
            "proposals": "提案：起草、修改、提交、查阅 / proposals: draft, edit, submit, read",
            "proposal-policy": "提案规则：查看（工作人员）、设置（管理员）/ proposal policy: read (staff), set (admin)",
            "handling": "提案办理：交办、调整、接收、沟通、会办、会签、答复 / handling: assignment, reassignment, "
            "acceptance, communication, co-handling, countersign, reply",
            "evaluation": "提案评价：评价答复、二次办理、办结报告、办结 / evaluation: ratings, re-handling, "
            "completion reports, conclusion",
            "publication": "提案公开：提案人同意、公开、撤回公开、公众查阅 / publication: consent, publish, "
            "withdraw, public reading",
            "attachments": "提案附件：上传、列出、下载、删除 / proposal attachments: upload, list, download, remove",
            "opinions": "社情民意信息：委员报送、编辑、采用、报送、批示、反馈 / public-opinion reports: submit, "
            "edit, adopt, forward, instructions, feedback",
            "similar": "相似提案：撰写时提示、审查时并案候选 / similar proposals: hints while typing, merge candidates at review",
            "statistics": "提案统计与台账：员工列表、全文检索、统计表、导出 Excel / the office's list, statistics "
            "and .xlsx exports",
            "working-calendar": "工作日安排：节假日与调休（管理员）/ working days: holidays and make-up workdays (admin)",
        },
    )
