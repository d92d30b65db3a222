"""Directory routes. Reading the organization's structure needs a sign-in; changing it needs an
admin or staff with the `members` scope; member records are for staff, leaders, and the member."""

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from cppcc_common.auth import Principal
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import ExpectedVersion, OptionalExpectedVersion, etag
from member_svc.directory import service
from member_svc.directory.errors import (
    AlreadyMember,
    InvalidDates,
    MemberInvalidTransition,
    NameTaken,
    PhoneBelongsToAnotherOrganization,
)
from member_svc.directory.models import Committee, Member, Sector, Unit
from member_svc.directory.permissions import (
    OWN_RECORD,
    UNIT_INFO,
    Anyone,
    Manager,
    Managing,
    Reader,
    SettingPolicy,
)
from member_svc.directory.policy import PARTIES, DirectoryPolicy
from member_svc.directory.schemas import (
    MemberCreate,
    MemberPage,
    MemberRead,
    MemberUpdate,
    NamedCreate,
    NamedPage,
    NamedRead,
    OfficerRead,
    OrganizationRead,
    PartyRead,
    PolicyValues,
    SectorOfficers,
    SessionCreate,
    SessionRead,
    StatusChange,
    StatusChangePage,
    StatusChangeRead,
    TermCreate,
    TermRead,
    UnitCreate,
    UnitPage,
    UnitRead,
    UnitUserCreate,
)
from member_svc.directory.schemas import Status as MemberStatus

router = APIRouter(tags=["directory"])


@router.get(
    "/api/v1/orgs/current", response_model=OrganizationRead, summary="My organization, terms and sessions"
)
async def current_org(principal: Anyone, session: SessionDep) -> OrganizationRead:
    org, terms, sessions = await service.organization(session, principal.org)
    return OrganizationRead(
        id=org.id,
        name=org.name,
        level=org.level,
        parent_id=org.parent_id,
        terms=[TermRead.model_validate(t) for t in terms],
        sessions=[SessionRead.model_validate(s) for s in sessions],
    )


@router.post(
    "/api/v1/orgs/current/terms",
    status_code=201,
    response_model=TermRead,
    responses=problems(InvalidDates, NameTaken),
    summary="Add a term (届)",
)
async def add_term(body: TermCreate, change: Managing) -> TermRead:
    return TermRead.model_validate(await service.add_term(change, org_id=change.person.org, data=body))


@router.post(
    "/api/v1/orgs/current/sessions",
    status_code=201,
    response_model=SessionRead,
    responses=problems(InvalidDates, NameTaken),
    summary="Schedule a plenary session (次会议) and its session-proposal window",
)
async def schedule_session(body: SessionCreate, change: Managing) -> SessionRead:
    plenary = await service.schedule_session(change, org_id=change.person.org, data=body)
    return SessionRead.model_validate(plenary)


@router.get(
    "/api/v1/orgs/current/policy",
    response_model=PolicyValues,
    summary="My organization's directory policy (session-proposal window)",
)
async def get_policy(principal: Manager, session: SessionDep) -> PolicyValues:
    policy = await service.policy_of(session, principal.org)
    return PolicyValues(**policy.model_dump())


@router.put(
    "/api/v1/orgs/current/policy",
    response_model=PolicyValues,
    summary="Set my organization's directory policy (admin)",
)
async def put_policy(body: PolicyValues, change: SettingPolicy) -> PolicyValues:
    policy = await service.set_policy(
        change, org_id=change.person.org, policy=DirectoryPolicy(**body.model_dump())
    )
    return PolicyValues(**policy.model_dump())


def _named_routes(
    path: str, model: type, create: Callable[..., Awaitable[Sector | Committee]], tag: str
) -> None:
    @router.get(path, response_model=NamedPage, tags=[tag], summary=f"List {tag}, by name")
    async def list_named(
        principal: Anyone, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
    ) -> NamedPage:
        rows, next_cursor = await service.named_page(
            session, model, principal.org, cursor=cursor, limit=limit
        )
        return NamedPage(items=[NamedRead.model_validate(r) for r in rows], next_cursor=next_cursor)

    @router.post(
        path,
        status_code=201,
        response_model=NamedRead,
        responses=problems(NameTaken),
        tags=[tag],
        summary=f"Create one of {tag}",
    )
    async def create_named(body: NamedCreate, change: Managing) -> NamedRead:
        row = await create(change, org_id=change.person.org, name=body.name)
        return NamedRead.model_validate(row)


_named_routes("/api/v1/sectors", Sector, service.create_sector, "sectors")
_named_routes("/api/v1/committees", Committee, service.create_committee, "committees")


@router.put(
    "/api/v1/sectors/{sector_id}/officers",
    status_code=204,
    tags=["sectors"],
    summary="Set the sector's conveners (first convener first) and liaison officer",
)
async def set_officers(sector_id: UUID, body: SectorOfficers, change: Managing) -> Response:
    await service.set_sector_officers(change, org_id=change.person.org, sector_id=sector_id, data=body)
    return Response(status_code=204)


@router.get(
    "/api/v1/sectors/{sector_id}/officers",
    response_model=list[OfficerRead],
    tags=["sectors"],
    summary="The sector's conveners (first convener first) and liaison officer",
)
async def get_officers(sector_id: UUID, principal: Anyone, session: SessionDep) -> list[OfficerRead]:
    rows = await service.sector_officers(session, org_id=principal.org, sector_id=sector_id)
    return [OfficerRead(person_id=o.person_id, name=name, role=o.role) for o, name in rows]


@router.get(
    "/api/v1/parties",
    response_model=list[PartyRead],
    tags=["members"],
    summary="Party affiliations a member record may carry",
)
async def list_parties(principal: Anyone) -> list[PartyRead]:
    return [PartyRead(name=p) for p in PARTIES]


@router.get(
    "/api/v1/units/{unit_id}/users",
    response_model=NamedPage,
    tags=["units"],
    summary="The unit's users (names only), by name",
)
async def list_unit_users(
    unit_id: UUID,
    principal: Manager,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> NamedPage:
    rows, next_cursor = await service.unit_users(
        session, org_id=principal.org, unit_id=unit_id, cursor=cursor, limit=limit
    )
    return NamedPage(items=[NamedRead(id=p.id, name=p.name) for p in rows], next_cursor=next_cursor)


@router.get("/api/v1/units", response_model=UnitPage, tags=["units"], summary="Handling units, by name")
async def list_units(
    principal: Anyone, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> UnitPage:
    rows, next_cursor = await service.named_page(session, Unit, principal.org, cursor=cursor, limit=limit)
    return UnitPage(items=[UnitRead.model_validate(u) for u in rows], next_cursor=next_cursor)


@router.get(
    "/api/v1/units/{unit_id}",
    response_model=UnitRead,
    tags=["units"],
    summary="One handling unit (a partner system: only its own)",
)
async def get_unit(
    unit_id: UUID, principal: Annotated[Principal, Depends(UNIT_INFO)], session: SessionDep
) -> UnitRead:
    return UnitRead.model_validate(await service.get_unit(session, principal, unit_id))


@router.post(
    "/api/v1/units",
    status_code=201,
    response_model=UnitRead,
    responses=problems(NameTaken),
    tags=["units"],
    summary="Register a handling unit",
)
async def create_unit(body: UnitCreate, change: Managing) -> UnitRead:
    unit = await service.create_unit(change, org_id=change.person.org, name=body.name, kind=body.kind)
    return UnitRead.model_validate(unit)


@router.post(
    "/api/v1/units/{unit_id}/users",
    status_code=201,
    response_model=NamedRead,
    responses=problems(PhoneBelongsToAnotherOrganization),
    tags=["units"],
    summary="Add a unit user (logs in by SMS code)",
)
async def add_unit_user(unit_id: UUID, body: UnitUserCreate, change: Managing) -> NamedRead:
    person = await service.add_unit_user(
        change, org_id=change.person.org, unit_id=unit_id, name=body.name, phone=body.phone
    )
    return NamedRead(id=person.id, name=person.name)


async def _read(session: SessionDep, member: Member, response: Response | None = None) -> MemberRead:
    if response is not None:
        response.headers["ETag"] = etag(member.version)
    return await service.view(session, member)


@router.post(
    "/api/v1/members",
    status_code=201,
    response_model=MemberRead,
    responses=problems(AlreadyMember, PhoneBelongsToAnotherOrganization),
    tags=["members"],
    summary="Add a member to a term (creates the account if the phone is new)",
)
async def register_member(body: MemberCreate, change: Managing, response: Response) -> MemberRead:
    member = await service.register_member(change, org_id=change.person.org, data=body)
    return await _read(change.session, member, response)


@router.get("/api/v1/members", response_model=MemberPage, tags=["members"], summary="The roster (staff)")
async def list_members(
    principal: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    term_id: UUID | None = None,
    sector_id: UUID | None = None,
    committee_id: UUID | None = None,
    status: Annotated[MemberStatus | None, Query()] = None,
) -> MemberPage:
    rows, next_cursor = await service.list_members(
        session,
        principal,
        term_id=term_id,
        sector_id=sector_id,
        status=status,
        cursor=cursor,
        limit=limit,
        committee_id=committee_id,
    )
    return MemberPage(items=[await _read(session, m) for m in rows], next_cursor=next_cursor)


@router.get(
    "/api/v1/members/me",
    response_model=list[MemberRead],
    tags=["members"],
    summary="My own member records (one per term)",
)
async def my_records(
    principal: Annotated[Principal, Depends(OWN_RECORD)], session: SessionDep
) -> list[MemberRead]:
    return [await _read(session, m) for m in await service.my_members(session, principal)]


@router.get(
    "/api/v1/members/{member_id}", response_model=MemberRead, tags=["members"], summary="One member record"
)
async def get_member(
    member_id: UUID, principal: Reader, session: SessionDep, response: Response
) -> MemberRead:
    member = await service.get_member(session, principal, member_id)
    return await _read(session, member, response)


@router.patch(
    "/api/v1/members/{member_id}",
    response_model=MemberRead,
    tags=["members"],
    summary="Change sector, party, committees, standing flag (If-Match)",
)
async def update_member(
    member_id: UUID,
    body: MemberUpdate,
    change: Managing,
    response: Response,
    expected: ExpectedVersion,
) -> MemberRead:
    member = await service.update_member(
        change, org_id=change.person.org, member_id=member_id, changes=body, expected_version=expected
    )
    return await _read(change.session, member, response)


@router.post(
    "/api/v1/members/{member_id}/status",
    response_model=MemberRead,
    responses=problems(MemberInvalidTransition),
    tags=["members"],
    summary="Change a member's status with a reason (active, on_leave, resigned, revoked)",
)
async def change_status(
    member_id: UUID,
    body: StatusChange,
    change: Managing,
    response: Response,
    expected: OptionalExpectedVersion,
) -> MemberRead:
    member = await service.change_status(
        change, org_id=change.person.org, member_id=member_id, body=body, expected_version=expected
    )
    return await _read(change.session, member, response)


@router.get(
    "/api/v1/members/{member_id}/status-history",
    response_model=StatusChangePage,
    tags=["members"],
    summary="Who changed the member's status, when, and why (oldest first)",
)
async def history(
    member_id: UUID,
    principal: Manager,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> StatusChangePage:
    rows, next_cursor = await service.status_history(
        session, principal, member_id, cursor=cursor, limit=limit
    )
    return StatusChangePage(items=[StatusChangeRead.model_validate(r) for r in rows], next_cursor=next_cursor)
