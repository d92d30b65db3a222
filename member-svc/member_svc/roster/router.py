"""Roster routes: import an .xlsx into a term (in the background), follow the import, export a
term's roster. Staff with the `members` scope or an admin, as for changing the directory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, FastAPI, Query, Request, Response

from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.i18n import negotiate_language
from member_svc.directory.permissions import MANAGE, Manager
from member_svc.roster import exporter, service
from member_svc.roster.errors import FileTooLarge
from member_svc.roster.jobs import ImportRunner
from member_svc.roster.policy import DEFAULT_POLICY
from member_svc.roster.schemas import ImportRead, Mode
from member_svc.spreadsheets import XLSX

_RUNNER = "roster_imports"


@asynccontextmanager
async def _imports_in_background(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the service's lifespan: the runner resumes imports a dead process left."""
    runtime = app.state.runtime
    runner = ImportRunner(runtime.sessionmaker, runtime.clock, DEFAULT_POLICY, source=runtime.settings.source)
    runtime.extras[_RUNNER] = runner
    runner.start_sweeping()
    try:
        yield
    finally:
        await runner.close()


router = APIRouter(tags=["roster"], lifespan=_imports_in_background)
Importing = Annotated[Change, Changing(MANAGE)]


def _lang(request: Request) -> str:
    return negotiate_language(request.headers.get("accept-language"))


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    too_large = FileTooLarge(limit=f"{limit // (1024 * 1024)} MiB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/api/v1/members/imports",
    status_code=202,
    response_model=ImportRead,
    tags=["members"],
    summary="Import a roster (.xlsx, the file as the request body) into a term, in the background",
    description=(
        "列：姓名、手机（必填），界别、党派、专委会、职务、是否常委（可选），其他列忽略。"
        "mode=all_or_nothing：有任何一行不合格则不导入；valid_only：导入所有合格行。"
        "create_missing：导入时创建不存在的界别和专委会。"
        "update_existing：已是本届委员的行按该行更新（否则作为重复拒绝），导出的名单可原样导回。"
        "上传即受理（202），文件由后台任务读取；文件无法读取时任务失败并说明原因。结果见 Location。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def submit_import(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    change: Importing,
    term_id: UUID,
    mode: Mode = "all_or_nothing",
    create_missing: bool = True,
    update_existing: Annotated[
        bool, Query(description="已是本届委员的行：更新该委员（默认：作为重复拒绝）")
    ] = False,
) -> ImportRead:
    content = await _body(request, DEFAULT_POLICY.max_file_bytes)
    assert change.principal is not None  # Changing(MANAGE) always has one
    job = await service.submit_import(
        change,
        org_id=change.principal.org,
        term_id=term_id,
        mode=mode,
        create_missing=create_missing,
        update_existing=update_existing,
        content=content,
    )
    # Background tasks run after the response, so after the request's transaction committed.
    background.add_task(request.app.state.runtime.extras[_RUNNER].start, job.id)
    response.headers["Location"] = f"/api/v1/members/imports/{job.id}"
    return ImportRead.of(job, _lang(request))


@router.get(
    "/api/v1/members/imports/{import_id}",
    response_model=ImportRead,
    tags=["members"],
    summary="A roster import: status, progress, counts, and every rejected row with its reasons",
)
async def get_import(
    import_id: UUID, request: Request, principal: Manager, session: SessionDep
) -> ImportRead:
    job = await service.get_import(session, org_id=principal.org, import_id=import_id)
    return ImportRead.of(job, _lang(request))


@router.get(
    "/api/v1/members/export",
    response_class=Response,
    tags=["members"],
    summary="A term's roster as .xlsx, in the columns the import reads",
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def export_roster(
    principal: Manager,
    session: SessionDep,
    term_id: UUID,
    include_inactive: Annotated[bool, Query(description="也导出已辞去、已撤销的委员")] = False,
) -> Response:
    term, content = await exporter.export_roster(
        session, org_id=principal.org, term_id=term_id, include_inactive=include_inactive
    )
    filename = f"委员名单-第{term.number}届.xlsx"
    disposition = (
        f"attachment; filename=\"roster-term-{term.number}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})
