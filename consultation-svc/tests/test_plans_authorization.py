"""The authorization matrix of the plan and topic routes (rule 28): for every route, every kind of
caller gets its expected answer — 401 without a token, 403 for a role the route does not admit
(or a step the caller may not take on what they see), 404 for what the caller may not see
(another organization's plan, a member's draft, another member's topic), and through otherwise.

"Through" means the authorization let the request reach its rule: a 2xx, or the rule's own 409 or
422. Each (route, caller) pair gets a fresh object in the state the route acts on, written as the
earlier steps would leave it, so one caller's success never changes another's answer.
`test_every_plan_and_topic_route_is_in_the_matrix` keeps the matrix complete.
"""

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import consultation_svc
from consultation_svc.main import create_app
from consultation_svc.plans.policy import DEFAULT_POLICY
from consultation_svc.settings import Settings
from cppcc_common.clock import SystemClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer

MIGRATIONS = Path(consultation_svc.__file__).parent / "migrations"
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
PROPOSER, OTHER_MEMBER, SUBMITTER, UNIT = (uuid.uuid4() for _ in range(4))
THROUGH = "through"
YEARS = itertools.count(3000)  # a fresh plan year per object (one plan per organization and year)
PREFIXES = ("/api/v1/consultations/plan", "/api/v1/consultations/topic", "/api/v1/consultations/forms")

CALLERS: dict[str, dict[str, Any] | None] = {
    "proposer": {"sub": PROPOSER, "org": ORG, "roles": ["member"]},  # a member who proposed the topic
    "member": {"sub": OTHER_MEMBER, "org": ORG, "roles": ["member"]},  # a member who did not
    "staff": {"org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "staff_without_scope": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": UNIT},
    "partner": {"org": ORG, "roles": ["partner"], "unit": UNIT},
    "admin": {"org": ORG, "roles": ["admin"]},
    "other_org_staff": {"org": OTHER_ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "other_org_leader": {"org": OTHER_ORG, "roles": ["leader"]},
    "other_org_member": {"org": OTHER_ORG, "roles": ["member"]},
    "public": None,
}
MEMBERS = ("proposer", "member")
OTHER_ORG_CALLERS = ("other_org_staff", "other_org_leader", "other_org_member")


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    """The expected answer of every caller: `default`, but 401 for the public and `callers`' own."""
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


# The organization's people (members, staff of any scope, leaders) reach a reading route; unit
# users, partner clients and administrators do not (403).
READ_ROUTE = answers(
    THROUGH, unit_user=403, partner=403, admin=403, **dict.fromkeys(OTHER_ORG_CALLERS, THROUGH)
)
# Reading one object of the organization: another organization's people get 404.
READ_ONE = {**READ_ROUTE, **dict.fromkeys(OTHER_ORG_CALLERS, 404)}
# A plan awaiting approval: staff and leaders see it, members do not (rule 28).
READ_SUBMITTED_PLAN = {**READ_ONE, **dict.fromkeys(MEMBERS, 404)}
# The consultation office's steps (staff with the consultation scope); another organization's: 404.
OFFICE = answers(403, staff=THROUGH, other_org_staff=404)
# The office's steps that make something new in the caller's own organization.
OFFICE_CREATES = answers(403, staff=THROUGH, other_org_staff=THROUGH)
# Approving: the policy's approver (a leader by default); staff see it but may not (403).
APPROVER = answers(403, leader=THROUGH, other_org_staff=404, other_org_leader=404)
# Returning: the approver or the office.
RETURNER = {**APPROVER, "staff": THROUGH}
# A topic proposed by PROPOSER: its proposer, staff and leaders see it; another member does not.
READ_PROPOSED_TOPIC = {**READ_ONE, "member": 404}


@dataclass(frozen=True)
class Case:
    make: str  # what the route acts on: none | plan:<status> | window:<status> | topic:<status>
    expected: dict[str, str | int]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


ENTRY = {
    "topic": "城市更新",
    "form": "thematic",
    "planned_month": 3,
    "participants": {"scope": "all"},
    "lead_department": "市住建局",
}
LATER = (SystemClock().now() + timedelta(days=30)).isoformat()
TOPIC = {"year": 2041, "title": "托育服务", "description": "说明", "source_kind": "member"}

P = "/api/v1/consultations/plans"
MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/consultations/forms"): Case(
        "none", answers(THROUGH, partner=403, **dict.fromkeys(OTHER_ORG_CALLERS, THROUGH))
    ),
    ("GET", "/api/v1/consultations/plan-policy"): Case(
        "none",
        answers(
            403,
            staff=THROUGH,
            staff_without_scope=THROUGH,
            leader=THROUGH,
            admin=THROUGH,
            other_org_staff=THROUGH,
            other_org_leader=THROUGH,
        ),
    ),
    ("PUT", "/api/v1/consultations/plan-policy"): Case(
        "none", answers(403, admin=THROUGH), body=DEFAULT_POLICY.model_dump(mode="json")
    ),
    ("GET", P): Case("none", READ_ROUTE),
    ("POST", P): Case("year", OFFICE_CREATES, body={"title": "年度协商计划"}),
    ("GET", P + "/{plan_id}"): Case("plan:submitted", READ_SUBMITTED_PLAN),
    ("PATCH", P + "/{plan_id}"): Case(
        "plan:draft", OFFICE, body={"title": "新标题"}, headers={"If-Match": '"1"'}
    ),
    ("GET", P + "/{plan_id}/history"): Case("plan:submitted", READ_SUBMITTED_PLAN),
    ("POST", P + "/{plan_id}/entries"): Case("plan:draft", OFFICE, body=ENTRY),
    ("PUT", P + "/{plan_id}/entries/{entry_id}"): Case("plan:draft", OFFICE, body=ENTRY),
    ("DELETE", P + "/{plan_id}/entries/{entry_id}"): Case("plan:draft", OFFICE),
    ("POST", P + "/{plan_id}/submit"): Case("plan:draft", OFFICE),
    ("POST", P + "/{plan_id}/return"): Case("plan:submitted", RETURNER, body={"reason": "请补充"}),
    ("POST", P + "/{plan_id}/approve"): Case("plan:submitted", APPROVER, body={"record": "主席会议审定"}),
    ("POST", P + "/{plan_id}/publish"): Case("plan:approved", OFFICE),
    ("POST", P + "/{plan_id}/revise"): Case("plan:published", OFFICE, body={"reason": "调整"}),
    ("POST", P + "/{plan_id}/discard"): Case("plan:draft", OFFICE, body={"reason": "重新起草"}),
    ("GET", "/api/v1/consultations/topic-windows"): Case("none", READ_ROUTE),
    ("POST", "/api/v1/consultations/topic-windows"): Case("year", OFFICE_CREATES, body={"closes_at": LATER}),
    ("GET", "/api/v1/consultations/topic-windows/{window_id}"): Case("window:open", READ_ONE),
    ("POST", "/api/v1/consultations/topic-windows/{window_id}/extend"): Case(
        "window:open", OFFICE, body={"closes_at": LATER}
    ),
    ("POST", "/api/v1/consultations/topic-windows/{window_id}/close"): Case("window:open", OFFICE),
    ("POST", "/api/v1/consultations/topic-windows/{window_id}/reopen"): Case(
        "window:closed", OFFICE, body={"closes_at": LATER}
    ),
    ("GET", "/api/v1/consultations/topics"): Case("none", READ_ROUTE),
    ("POST", "/api/v1/consultations/topics"): Case(
        "none", answers(403, **dict.fromkeys(MEMBERS, THROUGH), other_org_member=THROUGH), body=TOPIC
    ),
    ("POST", "/api/v1/consultations/topics/recorded"): Case(
        "none", OFFICE_CREATES, body={**TOPIC, "source_kind": "party_committee"}
    ),
    ("GET", "/api/v1/consultations/topics/{topic_id}"): Case("topic:proposed", READ_PROPOSED_TOPIC),
    ("POST", "/api/v1/consultations/topics/{topic_id}/accept"): Case("topic:proposed", OFFICE, body="accept"),
    ("POST", "/api/v1/consultations/topics/{topic_id}/decline"): Case(
        "topic:proposed", OFFICE, body={"reason": "不宜"}
    ),
    ("POST", "/api/v1/consultations/topics/{topic_id}/withdraw"): Case(
        "topic:proposed", answers(403, proposer=THROUGH, member=404, other_org_member=404)
    ),
}


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(database_url=databases.migrated(MIGRATIONS, "consultation"), nats_url=module_nats_url)


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source())) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    async with engine.begin() as conn:  # the window members propose TOPIC in
        await _insert_window(conn, "open", 2041)
    yield engine
    await engine.dispose()


async def _insert_window(conn: Any, status: str, year: int) -> str:
    wid, now = uuid.uuid4(), SystemClock().now()
    await conn.execute(
        text(
            "INSERT INTO topic_windows (id, org_id, year, status, opened_at, closes_at, created_at, updated_at, version)"
            " VALUES (:id, :org, :year, :status, :now, :closes, :now, :now, 1)"
        ),
        {
            "id": wid,
            "org": ORG,
            "year": year,
            "status": status,
            "now": now - timedelta(days=1),
            "closes": now + timedelta(days=10),
        },
    )
    return str(wid)


async def _plan(db: AsyncEngine, status: str, year: int) -> tuple[str, str]:
    """A plan of ORG in `status` with one entry; (its id, the entry's id)."""
    pid, eid, now = uuid.uuid4(), uuid.uuid4(), SystemClock().now()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO consultation_plans (id, org_id, year, version_no, status, title, created_at, updated_at,"
                " submitted_at, submitted_by, version) VALUES (:id, :org, :year, 1, :status, '年度协商计划', :now, :now,"
                " :now, :by, 1)"
            ),
            {"id": pid, "org": ORG, "year": year, "status": status, "now": now, "by": SUBMITTER},
        )
        await conn.execute(
            text(
                "INSERT INTO consultation_plan_entries (id, plan_id, entry_key, position, topic, form, planned_month,"
                " participants, lead_department) VALUES (:id, :p, :k, 1, '城市更新', 'thematic', 3, :parts, '市住建局')"
            ),
            {
                "id": eid,
                "p": pid,
                "k": uuid.uuid4(),
                "parts": json.dumps({"scope": "all", "groups": [], "member_ids": [], "note": None}),
            },
        )
    return str(pid), str(eid)


async def _topic(db: AsyncEngine, year: int) -> str:
    tid, now = uuid.uuid4(), SystemClock().now()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO consultation_topics (id, org_id, year, title, description, source_kind, proposer_id,"
                " status, created_at, updated_at, version) VALUES (:id, :org, :year, '托育服务', '说明', 'member', :p,"
                " 'proposed', :now, :now, 1)"
            ),
            {"id": tid, "org": ORG, "year": year, "p": PROPOSER, "now": now},
        )
    return str(tid)


def _verdict(response: httpx.Response) -> str | int:
    if response.status_code in (401, 403, 404):
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        return response.status_code
    assert response.status_code < 500, response.text
    return THROUGH


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
async def test_rule_28_every_caller_gets_its_answer_from_every_plan_and_topic_route(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, method: str, path: str
) -> None:
    case = MATRIX[(method, path)]
    got: dict[str, str | int] = {}
    for caller, claims in CALLERS.items():
        year = next(YEARS)
        url, body = path, case.body
        kind, _, status = case.make.partition(":")
        if kind == "year":
            body = {**body, "year": 2000 + year % 100}
        elif kind == "plan":
            pid, eid = await _plan(db, status, year)
            url = url.replace("{plan_id}", pid).replace("{entry_id}", eid)
        elif kind == "window":
            async with db.begin() as conn:
                url = url.replace("{window_id}", await _insert_window(conn, status, year))
        elif kind == "topic":
            url = url.replace("{topic_id}", await _topic(db, year))
            if body == "accept":
                pid, _ = await _plan(db, "draft", year)
                body = {**ENTRY, "plan_id": pid}
        headers = {**case.headers, **(issuer.headers(**claims) if claims is not None else {})}
        response = await client.request(method, url, json=body, headers=headers)
        got[caller] = _verdict(response)
    assert got == case.expected


def test_every_plan_and_topic_route_is_in_the_matrix(settings: Settings) -> None:
    routes = {
        (method, c.path)
        for c in iter_route_contexts(create_app(settings).routes)
        if isinstance(c.original_route, APIRoute) and c.path.startswith(PREFIXES)
        for method in c.methods or ()
    }
    assert routes == set(MATRIX)
