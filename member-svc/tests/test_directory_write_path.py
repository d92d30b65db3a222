"""The directory's write path (issue 7): the member status table is the only status rule, every
event carries the trace of the request that caused it, and one visibility rule serves get and list."""

import contextlib
import itertools
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any, get_args

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.auth import Principal
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from member_svc.directory import service
from member_svc.directory.domain import ACTION_TO, MEMBER_STATUS, Action, Status
from member_svc.directory.errors import DirectoryNotFound, MemberInvalidTransition
from member_svc.directory.schemas import Status as StatusLiteral
from member_svc.settings import Settings

from .conftest import sign_in_people

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
PASSWORD = "Passw0rd-写"
PHONES = {
    "admin": "13700000001",
    "staff": "13700000002",
    "member": "13700000003",
    "other_admin": "13700000004",
}
HYPOTHESIS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
_phones = itertools.count(13712000000)


@pytest.fixture(scope="module")
async def tokens(settings: Settings, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    roles = {"admin": ["admin"], "staff": ["staff"], "member": ["member"], "other_admin": ["admin"]}
    orgs = [(ORG, "戊市政协", "municipal", None), (OTHER_ORG, "己县政协", "county", ORG)]
    people = {
        who: (
            OTHER_ORG if who == "other_admin" else ORG,
            PHONES[who],
            r,
            ["members"] if who == "staff" else [],
        )
        for who, r in roles.items()
    }
    return await sign_in_people(settings, client, orgs=orgs, people=people, password=PASSWORD)


async def _term(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    body = {"number": 15, "starts_on": "2023-01-01", "ends_on": "2027-12-31"}
    r = await client.post("/api/v1/orgs/current/terms", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture(scope="module")
async def terms(client: httpx.AsyncClient, tokens: Any) -> dict[str, str]:
    return {"own": await _term(client, tokens["admin"]), "other": await _term(client, tokens["other_admin"])}


async def _member(
    client: httpx.AsyncClient, headers: dict[str, str], term_id: str, phone: str | None = None, **extra: str
) -> dict[str, Any]:
    person = {"name": "委员", "phone": phone or str(next(_phones))}
    r = await client.post(
        "/api/v1/members", headers={**headers, **extra}, json={"person": person, "term_id": term_id}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


# The status table -------------------------------------------------------------------------


def test_the_member_status_table_covers_every_status_and_refuses_only_the_status_a_member_has() -> None:
    """Today's rule, now data: staff may move a member between any two statuses, both ways."""
    assert MEMBER_STATUS.statuses() == {Status(s) for s in get_args(StatusLiteral)}
    for source, target in itertools.product(Status, Status):
        assert MEMBER_STATUS.allows(source, ACTION_TO[target]) == (source != target)
        assert MEMBER_STATUS.check(source, Action.EDIT) == source


@HYPOTHESIS
@given(path=st.lists(st.sampled_from(get_args(StatusLiteral)), min_size=1, max_size=4))
async def test_every_member_status_change_outside_the_table_is_an_invalid_transition(
    client: httpx.AsyncClient, tokens: Any, terms: dict[str, str], path: list[str]
) -> None:
    """Any sequence of status changes through the API: a change the table holds is made (status,
    version, history); any other is the table's 409 and changes nothing."""
    member = await _member(client, tokens["staff"], terms["own"])
    url, status, version, accepted = f"/api/v1/members/{member['id']}", "active", 1, []
    for target in path:
        r = await client.post(
            f"{url}/status", headers=tokens["staff"], json={"status": target, "reason": f"改为{target}"}
        )
        if MEMBER_STATUS.allows(Status(status), ACTION_TO[Status(target)]):
            assert r.status_code == 200, r.text
            assert (r.json()["status"], r.json()["version"]) == (target, version + 1)
            status, version = target, version + 1
            accepted.append(target)
        else:
            assert r.status_code == 409 and r.json()["code"] == MemberInvalidTransition.code, r.text
            now = (await client.get(url, headers=tokens["staff"])).json()
            assert (now["status"], now["version"]) == (status, version)
    history = (await client.get(f"{url}/status-history", headers=tokens["staff"])).json()["items"]
    assert [h["to_status"] for h in history] == ["active", *accepted]


# Traces -----------------------------------------------------------------------------------


def _traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


async def _events_of_trace(engine: AsyncEngine, trace_id: str) -> list[str]:
    """The types of the outbox's events whose traceparent is in this trace."""
    async with engine.connect() as conn:
        payloads = (await conn.execute(text("SELECT payload FROM outbox"))).scalars().all()
    events = [json.loads(p) if isinstance(p, str) else p for p in payloads]
    return sorted(e["type"] for e in events if (e.get("traceparent") or "").startswith(f"00-{trace_id}-"))


async def test_member_svc_events_carry_the_requests_trace(
    client: httpx.AsyncClient, tokens: Any, terms: dict[str, str], engine: AsyncEngine
) -> None:
    """Every event a directory request stages carries a span of the request's trace."""
    staff = tokens["staff"]
    trace, traceparent = _traceparent()
    member = await _member(client, staff, terms["own"], traceparent=traceparent)
    assert await _events_of_trace(engine, trace) == [
        "cppcc.member.person_registered.v1",
        "cppcc.member.registered.v1",
    ]
    trace, traceparent = _traceparent()
    r = await client.post(
        f"/api/v1/members/{member['id']}/status",
        headers={**staff, "traceparent": traceparent},
        json={"status": "on_leave", "reason": "病假"},
    )
    assert r.status_code == 200, r.text
    assert await _events_of_trace(engine, trace) == ["cppcc.member.status_changed.v1"]
    trace, traceparent = _traceparent()
    r = await client.post(
        "/api/v1/units", headers={**staff, "traceparent": traceparent}, json={"name": "市水务局"}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/units/{r.json()['id']}/users",
        headers={**staff, "traceparent": traceparent},
        json={"name": "联络员", "phone": str(next(_phones))},
    )
    assert r.status_code == 201, r.text
    assert await _events_of_trace(engine, trace) == [
        "cppcc.member.person_registered.v1",
        "cppcc.unit.registered.v1",
        "cppcc.unit.user_added.v1",
    ]


# Visibility -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def directory(
    client: httpx.AsyncClient, tokens: Any, terms: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Members of two organizations; one of them is the `member` account's own record."""
    own = [await _member(client, tokens["staff"], terms["own"]) for _ in range(3)]
    own.append(await _member(client, tokens["staff"], terms["own"], PHONES["member"]))
    other = [await _member(client, tokens["other_admin"], terms["other"]) for _ in range(2)]
    return {"own": own, "other": other}


ROLES = st.frozensets(st.sampled_from(["admin", "staff", "leader", "member", "unit_user", "partner"]))
SCOPES = st.frozensets(st.sampled_from(["members", "proposals", "consultation"]))


@HYPOTHESIS
@given(data=st.data(), roles=ROLES, scopes=SCOPES)
async def test_directory_get_and_list_share_one_visibility_rule(
    engine: AsyncEngine,
    directory: dict[str, list[dict[str, Any]]],
    data: st.DataObject,
    roles: Any,
    scopes: Any,
) -> None:
    """For any principal: a member record is readable by id exactly when the roster lists it, and
    their own records are among those (rule 28: never another organization's)."""
    everyone = directory["own"] + directory["other"]
    org = data.draw(st.sampled_from([ORG, OTHER_ORG]))
    sub = data.draw(st.sampled_from([uuid.uuid4(), *(uuid.UUID(m["person_id"]) for m in everyone)]))
    principal = Principal(sub=sub, org=org, roles=roles, scopes=scopes)
    async with session_scope(create_sessionmaker(engine)) as session:
        listed, _ = await service.list_members(session, principal, limit=500)
        gettable = set()
        for m in everyone:
            with contextlib.suppress(DirectoryNotFound):
                gettable.add((await service.get_member(session, principal, uuid.UUID(m["id"]))).id)
        own = {m.id for m in await service.my_members(session, principal)}
    known = {uuid.UUID(m["id"]) for m in everyone}
    assert {m.id for m in listed} & known == gettable
    assert own <= gettable and all(m.org_id == org for m in listed)
