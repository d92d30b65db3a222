"""The authorization matrix of proposal-svc (rule 28, DESIGN.md §6): for every route, every kind of
caller gets its expected answer — 401 without a token, 403 for a role the route does not admit or
a visible proposal the caller may not act on, 404 for a proposal the caller may not see (another
organization's, another member's draft, nothing of theirs), and through otherwise.

"Through" means the authorization let the request reach its rule: a 2xx, or the rule's own 409 or
422 (a co-signer who already confirmed answers again, say). Each (route, caller) pair gets a fresh
proposal in the state the route acts on, so one caller's success never changes another's answer.

`test_every_route_of_the_service_is_in_the_matrix` keeps the matrix complete: a new route without
its row fails it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import SystemClock
from cppcc_common.db import create_engine
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.proposals.policy import DEFAULT_POLICY
from proposal_svc.settings import Settings

from .conftest import enrol

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
FIRST, CONFIRMED, INVITED, OTHER_MEMBER = (uuid.uuid4() for _ in range(4))
UNIT, OTHER_UNIT = uuid.uuid4(), uuid.uuid4()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

NUMBERS = list(range(1, 10_000))  # a filing number per filed proposal made here (gap-free unique)
THROUGH = "through"  # neither 401, 403 nor 404: the route's own rule answered

# Every kind of caller of issue 9's matrix. The unit's users and partner client are of UNIT, the
# assigned unit of the handling routes' proposals; the others of OTHER_UNIT.
CALLERS: dict[str, dict[str, Any] | None] = {
    "first_proposer": {"sub": FIRST, "org": ORG, "roles": ["member"]},
    "confirmed_cosigner": {"sub": CONFIRMED, "org": ORG, "roles": ["member"]},
    "invited_cosigner": {"sub": INVITED, "org": ORG, "roles": ["member"]},
    "other_member": {"sub": OTHER_MEMBER, "org": ORG, "roles": ["member"]},
    "staff": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "staff_without_scope": {"org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": UNIT},
    "partner": {"org": ORG, "roles": ["partner"], "unit": UNIT},
    "other_unit_user": {"org": ORG, "roles": ["unit_user"], "unit": OTHER_UNIT},
    "other_partner": {"org": ORG, "roles": ["partner"], "unit": OTHER_UNIT},
    "other_org_staff": {"org": OTHER_ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "other_org_member": {"org": OTHER_ORG, "roles": ["member"]},
    "admin": {"org": ORG, "roles": ["admin"]},
    "public": None,
}
MEMBERS = ("first_proposer", "confirmed_cosigner", "invited_cosigner", "other_member", "other_org_member")
UNITS = ("unit_user", "partner", "other_unit_user", "other_partner")


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    """The expected answer of every caller: `default`, but 401 for the public and `callers`' own."""
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


# Who reads a submitted proposal: its proposers (an invited co-signer too), the office and the
# organization's leaders; a staff member without the proposals scope sees nothing of it, nor does
# a unit it is not assigned to (rule 28).
READERS = answers(
    THROUGH,
    other_member=404,
    staff_without_scope=404,
    other_org_staff=404,
    other_org_member=404,
    **dict.fromkeys(UNITS, 404),
    admin=403,
)
# Who reads a proposal assigned to UNIT: the readers above and UNIT's user and partner client.
ASSIGNED_READERS = {**READERS, "unit_user": THROUGH, "partner": THROUGH}
# A unit's step on its own assignment: UNIT's user and partner; another unit does not see it.
UNIT_STEP = answers(403, unit_user=THROUGH, partner=THROUGH, other_unit_user=404, other_partner=404)
COMMUNICATION = {"kind": "visit", "communicated_on": "2026-01-05", "summary": "走访提案人"}
# The first proposer's own steps on a draft: members who do not see it get 404, other roles 403.
OWN_DRAFT = answers(
    403,
    first_proposer=THROUGH,
    confirmed_cosigner=404,
    invited_cosigner=404,
    other_member=404,
    other_org_member=404,
)
OWN_SUBMITTED = {**OWN_DRAFT, "confirmed_cosigner": 403, "invited_cosigner": 403}
# The proposals office's steps: staff with the proposals scope of the organization.
OFFICE = answers(403, staff=THROUGH, other_org_staff=404)


@dataclass(frozen=True)
class Case:
    state: str  # "draft" | "submitted" | "filed" | "none" (the route takes no proposal id)
    expected: dict[str, str | int]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    attachment: bool = False  # the proposal has an attachment and the path names it
    assignment: tuple[str, str] | None = None  # UNIT's assignment (role, status), named by the path
    reply: bool = False  # UNIT's assignment has a reply, named by the path
    reply_attachment: bool = False  # the reply has an attachment (its unit's), named by the path


# (method, the route's path) -> its case. {id} is the proposal, {aid} its attachment.
MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/proposals"): Case("none", answers(THROUGH, admin=403)),
    ("POST", "/api/v1/proposals"): Case(
        "none", answers(403, **dict.fromkeys(MEMBERS, THROUGH)), body={"title": "关于加装电梯的建议"}
    ),
    ("GET", "/api/v1/proposals/supervised"): Case("none", answers(403, leader=THROUGH)),
    ("GET", "/api/v1/proposals/{proposal_id}"): Case("submitted", READERS),
    ("PATCH", "/api/v1/proposals/{proposal_id}"): Case(
        "draft", OWN_DRAFT, body={"title": "新的案由"}, headers={"If-Match": '"3"'}
    ),
    ("DELETE", "/api/v1/proposals/{proposal_id}"): Case("draft", OWN_DRAFT),
    ("POST", "/api/v1/proposals/{proposal_id}/submit"): Case("draft", OWN_DRAFT),
    ("POST", "/api/v1/proposals/{proposal_id}/withdraw"): Case(
        "submitted", OWN_SUBMITTED, body={"reason": "已解决"}
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/cosign"): Case(
        "submitted",
        {**OWN_SUBMITTED, "first_proposer": 403, "confirmed_cosigner": THROUGH, "invited_cosigner": THROUGH},
        body={"answer": "confirm"},
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/timeline"): Case("submitted", READERS),
    # The audit trail: the office only (staff of another organization: 404).
    ("GET", "/api/v1/proposals/{proposal_id}/audit"): Case("submitted", OFFICE),
    ("POST", "/api/v1/proposals/{proposal_id}/file"): Case("submitted", OFFICE),
    ("POST", "/api/v1/proposals/{proposal_id}/return"): Case(
        "submitted", OFFICE, body={"note": "请补充数据"}
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/not-file"): Case(
        "submitted", OFFICE, body={"reason": "属于学术探讨", "disposition": "none"}
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/merge"): Case("submitted", OFFICE, body="merge"),
    ("POST", "/api/v1/proposals/{proposal_id}/key"): Case(
        "filed",
        OFFICE,
        body={"meeting": "主席会议", "meeting_on": "2026-01-05", "supervisor_ids": [str(uuid.uuid4())]},
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/attachments"): Case("submitted", READERS, attachment=True),
    ("POST", "/api/v1/proposals/{proposal_id}/attachments"): Case(
        "draft",
        OWN_DRAFT,
        body=PDF,
        headers={"Content-Type": "application/pdf", "X-Filename": "note.pdf"},
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/attachments/{attachment_id}"): Case(
        "submitted", READERS, attachment=True
    ),
    ("DELETE", "/api/v1/proposals/{proposal_id}/attachments/{attachment_id}"): Case(
        "draft", OWN_DRAFT, attachment=True
    ),
    # The organization's proposal policy: staff of any scope and administrators read their own
    # organization's; only administrators set it.
    ("GET", "/api/v1/proposals/policy"): Case(
        "none",
        answers(403, staff=THROUGH, staff_without_scope=THROUGH, other_org_staff=THROUGH, admin=THROUGH),
    ),
    ("PUT", "/api/v1/proposals/policy"): Case(
        "none", answers(403, admin=THROUGH), body=DEFAULT_POLICY.model_dump(mode="json")
    ),
    # Handling (rules 9–11, 13–15): the office assigns and decides; UNIT does its own steps.
    ("POST", "/api/v1/proposals/{proposal_id}/assignments"): Case(
        "filed", OFFICE, body={"lead_unit_id": str(UNIT)}
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/assignments"): Case(
        "assigned", ASSIGNED_READERS, assignment=("lead", "assigned")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/accept"): Case(
        "assigned", UNIT_STEP, assignment=("lead", "assigned")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/reassignment-request"): Case(
        "assigned", UNIT_STEP, body={"reason": "不属本单位职责"}, assignment=("lead", "assigned")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/reassign"): Case(
        "assigned", OFFICE, body={"unit_id": str(OTHER_UNIT)}, assignment=("lead", "reassignment_requested")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/refuse-reassignment"): Case(
        "assigned", OFFICE, body={}, assignment=("lead", "reassignment_requested")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/views"): Case(
        "assigned", UNIT_STEP, body={"views": "同意"}, assignment=("cohandler", "assigned")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/countersign"): Case(
        "assigned", UNIT_STEP, assignment=("cohandler", "views_sent")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/communications"): Case(
        "handling", UNIT_STEP, body=COMMUNICATION, assignment=("lead", "accepted")
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/communications"): Case(
        "handling", ASSIGNED_READERS, assignment=("lead", "accepted")
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/replies"): Case(
        "handling",
        UNIT_STEP,
        body={"letter": "答复函", "signed_by": "李四", "result_class": "A"},
        assignment=("lead", "accepted"),
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/replies"): Case(
        "replied", ASSIGNED_READERS, assignment=("lead", "replied"), reply=True
    ),
    ("PATCH", "/api/v1/proposals/{proposal_id}/replies/{reply_id}/class"): Case(
        "replied",
        OFFICE,
        body={"result_class": "B", "reason": "尚未完成"},
        headers={"If-Match": '"1"'},
        assignment=("lead", "replied"),
        reply=True,
    ),
    # Rule 12: the office records an approved extension of a lead or split unit's reply due date.
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/extensions"): Case(
        "assigned",
        OFFICE,
        body={
            "reply_due_on": "2099-01-01",
            "approved_by": "王秘书长",
            "approved_on": "2000-01-01",
            "reason": "协调",
        },
        assignment=("lead", "assigned"),
    ),
    # Rule 15: the letter's file, added by the unit that replied, read like the reply.
    ("POST", "/api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments"): Case(
        "replied",
        UNIT_STEP,
        body=PDF,
        headers={"Content-Type": "application/pdf", "X-Filename": "reply.pdf"},
        assignment=("lead", "replied"),
        reply=True,
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments"): Case(
        "replied", ASSIGNED_READERS, assignment=("lead", "replied"), reply=True
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments/{attachment_id}"): Case(
        "replied", ASSIGNED_READERS, assignment=("lead", "replied"), reply=True, reply_attachment=True
    ),
    # Rule 12: an assignment's extensions are read by the office and the assigned unit.
    ("GET", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/extensions"): Case(
        "assigned",
        answers(
            403,
            staff=THROUGH,
            unit_user=THROUGH,
            partner=THROUGH,
            other_unit_user=404,
            other_partner=404,
            staff_without_scope=404,
            other_org_staff=404,
        ),
        assignment=("lead", "assigned"),
    ),
    # Evaluation (rules 16–18): the proposers who count rate a reply (an invited co-signer is a
    # reader but not a proposer: 403); a unit never rates (403) and files its completion report.
    ("POST", "/api/v1/proposals/{proposal_id}/replies/{reply_id}/evaluations"): Case(
        "replied",
        answers(
            403,
            first_proposer=THROUGH,
            confirmed_cosigner=THROUGH,
            other_member=404,
            other_org_member=404,
        ),
        body={"rating": "satisfied", "comment": "答复认真"},
        assignment=("lead", "replied"),
        reply=True,
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/replies/{reply_id}/evaluations"): Case(
        "replied", ASSIGNED_READERS, assignment=("lead", "replied"), reply=True
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/completion-report"): Case(
        "replied",
        UNIT_STEP,
        body={"report": "已完成改造", "completed_on": "2026-01-05"},
        assignment=("lead", "replied"),
        reply=True,
    ),
    # Publication (rule 20): each proposer who counts consents (an invited co-signer reads but does
    # not count: 403); the office publishes and withdraws; the public routes need no token and
    # answer everyone alike — an unpublished proposal is 404 to all, the office included.
    ("GET", "/api/v1/proposals/published"): Case("none", dict.fromkeys(CALLERS, THROUGH)),
    ("GET", "/api/v1/proposals/published/{proposal_id}"): Case("submitted", dict.fromkeys(CALLERS, 404)),
    ("GET", "/api/v1/proposals/{proposal_id}/publication"): Case(
        "submitted", {**READERS, **dict.fromkeys(UNITS, 403)}
    ),
    ("PUT", "/api/v1/proposals/{proposal_id}/publication/consent"): Case(
        "submitted",
        answers(
            403,
            first_proposer=THROUGH,
            confirmed_cosigner=THROUGH,
            other_member=404,
            other_org_member=404,
        ),
        body={"consent": True},
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/publication"): Case(
        "replied", OFFICE, body={}, assignment=("lead", "replied"), reply=True
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/publication/withdraw"): Case(
        "replied", OFFICE, body={"reason": "提案人申请撤回"}
    ),
    # Similar proposals: a member typing (own, co-signed and published only) and the office; the
    # merge candidates of a proposal at review are the office's (another organization's: 404).
    ("POST", "/api/v1/proposals/similar"): Case(
        "none",
        answers(403, **dict.fromkeys(MEMBERS, THROUGH), staff=THROUGH, other_org_staff=THROUGH),
        body={"title": "关于加装电梯的建议", "body": "老旧小区加装电梯"},
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/similar"): Case("submitted", OFFICE),
    # The office's full-text search: its own organization's (another organization's staff search
    # their own, so they pass the route and find nothing of ORG's).
    ("GET", "/api/v1/proposals/search"): Case("none", answers(403, staff=THROUGH, other_org_staff=THROUGH)),
    # The office's list, statistics and exports: the office and the leaders (read-only), each of their
    # own organization (another organization's staff pass the route and count only their own).
    **{
        ("GET", f"/api/v1/proposals{path}"): Case(
            "none", answers(403, staff=THROUGH, leader=THROUGH, other_org_staff=THROUGH)
        )
        for path in (
            "/office",
            "/office/export",
            "/statistics",
            "/statistics/export",
            "/statistics/children",
            "/statistics/children/export",
        )
    },
    # The national working-day calendar: administrators only.
    ("GET", "/api/v1/proposals/working-calendar/{year}"): Case("none", answers(403, admin=THROUGH)),
    ("PUT", "/api/v1/proposals/working-calendar/{year}"): Case(
        "none",
        answers(403, admin=THROUGH),
        body={"holidays": [], "workdays": []},
        headers={"If-Match": '"0"'},
    ),
}


@pytest.fixture(scope="module")
async def db(settings: Settings) -> Any:
    engine = create_engine(settings.database_url, pool_size=2)
    for person in (FIRST, CONFIRMED, INVITED, OTHER_MEMBER):
        await enrol(settings, person_id=person, org_id=ORG)
    async with engine.begin() as conn:  # the units as member-svc's events leave them
        await conn.execute(
            text(
                "INSERT INTO units (unit_id, org_id, name, kind) VALUES (:u, :o, '甲局', 'bureau'), (:v, :o, '乙局', 'bureau')"
            ),
            {"u": UNIT, "v": OTHER_UNIT, "o": ORG},
        )
    yield engine
    await engine.dispose()


async def _proposal(db: AsyncEngine, state: str) -> str:
    """A proposal of FIRST in `state`, co-signed by CONFIRMED and with INVITED's invitation open
    (named on the draft, asked on submission), written as the earlier steps would leave it."""
    pid, now = uuid.uuid4(), SystemClock().now()
    submitted = state != "draft"
    asked = {"at": now if submitted else None, "by": now + timedelta(days=7) if submitted else None}
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions, first_proposer_id,"
                " created_at, updated_at, submitted_at, version, filing_series, filing_number, filed_at)"
                " VALUES (:id, :org, :status, :kind, '关于加装电梯的建议', '情况', '[\"建议\"]', :who,"
                " :now, :now, :submitted_at, 3, :series, :number, :filed_at)"
            ),
            {
                "id": pid,
                "org": ORG,
                "status": state,
                "kind": "ordinary" if submitted else None,
                "who": FIRST,
                "now": now,
                "submitted_at": now if submitted else None,
                "series": "year:matrix" if state == "filed" else None,
                "number": NUMBERS.pop() if state == "filed" else None,
                "filed_at": now if state == "filed" else None,
            },
        )
        rows = [
            (FIRST, "first", 0, "confirmed", None, None),
            (CONFIRMED, "cosigner", 1, "confirmed" if submitted else "invited", asked["at"], asked["by"]),
            (INVITED, "cosigner", 2, "invited", asked["at"], asked["by"]),
        ]
        for person, role, position, status, invited_at, respond_by in rows:
            await conn.execute(
                text(
                    "INSERT INTO proposal_proposers"
                    " (proposal_id, person_id, role, position, status, invited_at, respond_by)"
                    " VALUES (:p, :who, :role, :position, :status, :invited_at, :respond_by)"
                ),
                {
                    "p": pid,
                    "who": person,
                    "role": role,
                    "position": position,
                    "status": status,
                    "invited_at": invited_at,
                    "respond_by": respond_by,
                },
            )
    return str(pid)


async def _attach(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, pid: str, state: str
) -> str:
    """An attachment uploaded by the first proposer while the proposal was a draft."""
    await _set_status(db, pid, "draft")
    uploaded = await client.post(
        f"/api/v1/proposals/{pid}/attachments",
        content=PDF,
        headers={
            **issuer.headers(**CALLERS["first_proposer"]),  # type: ignore[arg-type]
            "Content-Type": "application/pdf",
            "X-Filename": "note.pdf",
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    await _set_status(db, pid, state)
    return str(uploaded.json()["id"])


async def _attach_to_reply(client: httpx.AsyncClient, issuer: TestIssuer, pid: str, rid: str) -> str:
    """The reply letter's file, uploaded by UNIT's user."""
    uploaded = await client.post(
        f"/api/v1/proposals/{pid}/replies/{rid}/attachments",
        content=PDF,
        headers={
            **issuer.headers(**CALLERS["unit_user"]),  # type: ignore[arg-type]
            "Content-Type": "application/pdf",
            "X-Filename": "reply.pdf",
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    return str(uploaded.json()["id"])


async def _assignment(db: AsyncEngine, pid: str, role: str, status: str, reply: bool) -> tuple[str, str]:
    """UNIT's assignment of the proposal in `status` (and its reply), as the earlier steps leave it."""
    aid, rid, now = uuid.uuid4(), uuid.uuid4(), SystemClock().now()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO assignments (id, proposal_id, org_id, unit_id, role, status, assigned_at, reply_due_on,"
                " updated_at, version) VALUES (:id, :p, :o, :u, :role, :status, :now, :due, :now, 1)"
            ),
            {
                "id": aid,
                "p": pid,
                "o": ORG,
                "u": UNIT,
                "role": role,
                "status": status,
                "now": now,
                "due": now.date(),
            },
        )
        if reply:
            await conn.execute(
                text(
                    "INSERT INTO replies (id, proposal_id, assignment_id, unit_id, letter, signed_by, result_class,"
                    " replied_at, version) VALUES (:id, :p, :a, :u, '答复函', '李四', 'A', :now, 1)"
                ),
                {"id": rid, "p": pid, "a": aid, "u": UNIT, "now": now},
            )
    return str(aid), str(rid)


async def _set_status(db: AsyncEngine, pid: str, status: str) -> None:
    async with db.begin() as conn:
        await conn.execute(text("UPDATE proposals SET status = :s WHERE id = :id"), {"s": status, "id": pid})


def _verdict(response: httpx.Response) -> str | int:
    if response.status_code in (401, 403, 404):
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        return response.status_code
    assert response.status_code < 500, response.text
    return THROUGH


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
async def test_every_caller_gets_its_answer_from_every_route(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, method: str, path: str
) -> None:
    case = MATRIX[(method, path)]
    target = await _proposal(db, "filed") if case.body == "merge" else None
    got: dict[str, str | int] = {}
    for caller, claims in CALLERS.items():
        url = path.replace("{year}", "2030")
        if case.state != "none":
            pid = await _proposal(db, case.state)
            url = url.replace("{proposal_id}", pid)
            if case.attachment:
                url = url.replace("{attachment_id}", await _attach(client, issuer, db, pid, case.state))
            if case.assignment:
                aid, rid = await _assignment(db, pid, *case.assignment, reply=case.reply)
                url = url.replace("{assignment_id}", aid).replace("{reply_id}", rid)
            if case.reply_attachment:
                url = url.replace("{attachment_id}", await _attach_to_reply(client, issuer, pid, rid))
        headers = {**case.headers, **(issuer.headers(**claims) if claims is not None else {})}
        body = {"into_id": target} if case.body == "merge" else case.body
        if isinstance(body, bytes):
            response = await client.request(method, url, content=body, headers=headers)
        else:
            response = await client.request(method, url, json=body, headers=headers)
        got[caller] = _verdict(response)
    assert got == case.expected


def test_every_route_of_the_service_is_in_the_matrix(settings: Settings) -> None:
    routes = {
        (method, c.path)
        for c in iter_route_contexts(create_app(settings).routes)
        if isinstance(c.original_route, APIRoute) and c.path.startswith("/api/v1/proposals")
        for method in c.methods or ()
    }
    assert routes == set(MATRIX)
