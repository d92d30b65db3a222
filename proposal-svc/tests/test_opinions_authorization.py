"""The authorization matrix of the public-opinion report routes (rule 28, DESIGN.md §6): for every
route, every kind of caller gets its expected answer — 401 without a token, 403 for a role the
route does not admit or a report the caller reads but may not act on, 404 for a report the caller
may not see (another organization's, another member's, a draft of someone else, anything for a
unit or a partner system), and through otherwise.

"Through" means the authorization let the request reach its rule: a 2xx, or the rule's own 409 or
422. Each (route, caller) pair gets a fresh report in the state the route acts on.
`test_every_opinions_route_is_in_the_matrix` keeps the matrix complete.
"""

import uuid
from dataclasses import dataclass, field
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
from proposal_svc.settings import Settings

from .conftest import enrol

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
AUTHOR, OTHER_MEMBER = uuid.uuid4(), uuid.uuid4()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
THROUGH = "through"

CALLERS: dict[str, dict[str, Any] | None] = {
    "author": {"sub": AUTHOR, "org": ORG, "roles": ["member"]},
    "other_member": {"sub": OTHER_MEMBER, "org": ORG, "roles": ["member"]},
    "office": {"org": ORG, "roles": ["staff"], "scopes": ["opinions"]},
    "proposals_office": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "staff_without_scope": {"org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": uuid.uuid4()},
    "partner": {"org": ORG, "roles": ["partner"], "unit": uuid.uuid4()},
    "other_org_office": {"org": OTHER_ORG, "roles": ["staff"], "scopes": ["opinions"]},
    "other_org_member": {"sub": AUTHOR, "org": OTHER_ORG, "roles": ["member"]},
    "admin": {"org": ORG, "roles": ["admin"]},
    "public": None,
}
MEMBERS = ("author", "other_member", "other_org_member")


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


# Rule 28: the author, the office and the leaders read a submitted report; nobody else sees it (a
# handling unit's users and partner systems do not reach the routes at all).
READERS = answers(404, author=THROUGH, office=THROUGH, leader=THROUGH, admin=403, unit_user=403, partner=403)
# The author's own steps: members who do not see it 404, other roles 403.
OWN = answers(403, author=THROUGH, other_member=404, other_org_member=404)
# The office's steps: staff with the `opinions` scope of the organization.
OFFICE = answers(403, office=THROUGH, other_org_office=404)


@dataclass(frozen=True)
class Case:
    state: str  # draft | submitted | adopted | not_filed_proposal | none
    expected: dict[str, str | int]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    attachment: bool = False


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/opinions"): Case("none", answers(THROUGH, admin=403, unit_user=403, partner=403)),
    ("POST", "/api/v1/opinions"): Case(
        "none", answers(403, **dict.fromkeys(MEMBERS, THROUGH)), body={"title": "x"}
    ),
    # Rule 7: the proposals office, or the first proposer (the proposal's readers decide 404).
    ("POST", "/api/v1/opinions/from-proposal/{proposal_id}"): Case(
        "not_filed_proposal",
        answers(
            404,
            author=THROUGH,
            proposals_office=THROUGH,
            leader=403,
            unit_user=403,
            partner=403,
            admin=403,
        ),
    ),
    # The organization's report values: staff read them (another organization's staff their own),
    # administrators set them.
    ("GET", "/api/v1/opinions/policy"): Case(
        "none",
        answers(
            403,
            office=THROUGH,
            proposals_office=THROUGH,
            staff_without_scope=THROUGH,
            other_org_office=THROUGH,
            admin=THROUGH,
        ),
    ),
    ("PUT", "/api/v1/opinions/policy"): Case(
        "none", answers(403, admin=THROUGH), body={"opinion_max_chars": 1500, "opinion_title_max_chars": 50}
    ),
    ("GET", "/api/v1/opinions/{report_id}"): Case("submitted", READERS),
    ("GET", "/api/v1/opinions/{report_id}/history"): Case("submitted", READERS),
    ("GET", "/api/v1/opinions/{report_id}/edits"): Case("submitted", READERS),
    ("GET", "/api/v1/opinions/{report_id}/attachments"): Case("submitted", READERS),
    ("GET", "/api/v1/opinions/{report_id}/attachments/{attachment_id}"): Case(
        "submitted", READERS, attachment=True
    ),
    ("PATCH", "/api/v1/opinions/{report_id}"): Case("draft", OWN, body={"title": "新标题"}),
    ("POST", "/api/v1/opinions/{report_id}/submit"): Case("draft", OWN),
    ("POST", "/api/v1/opinions/{report_id}/withdraw"): Case("submitted", OWN, body={"reason": "已解决"}),
    ("POST", "/api/v1/opinions/{report_id}/attachments"): Case(
        "draft", OWN, body=PDF, headers={"Content-Type": "application/pdf", "X-Filename": "a.pdf"}
    ),
    ("DELETE", "/api/v1/opinions/{report_id}/attachments/{attachment_id}"): Case(
        "draft", OWN, attachment=True
    ),
    ("POST", "/api/v1/opinions/{report_id}/edits"): Case("submitted", OFFICE, body={"title": "编辑后的标题"}),
    ("POST", "/api/v1/opinions/{report_id}/adopt"): Case(
        "submitted", OFFICE, body={"level": "municipal", "adopted_by": "市政协"}
    ),
    ("POST", "/api/v1/opinions/{report_id}/not-adopt"): Case("submitted", OFFICE, body={"reason": "重复"}),
    ("POST", "/api/v1/opinions/{report_id}/forwards"): Case(
        "adopted", OFFICE, body={"recipients": [{"kind": "government", "name": "市政府办公室"}]}
    ),
    ("POST", "/api/v1/opinions/{report_id}/instructions"): Case(
        "adopted",
        OFFICE,
        body={"level": "municipal", "leader": "市长 李某", "text": "请研究", "instructed_on": "2026-01-05"},
    ),
    ("POST", "/api/v1/opinions/{report_id}/feedback"): Case(
        "adopted", OFFICE, body={"source": "市消防支队", "text": "已整改", "received_on": "2026-01-05"}
    ),
}


@pytest.fixture(scope="module")
async def db(settings: Settings) -> Any:
    engine = create_engine(settings.database_url, pool_size=2)
    for person in (AUTHOR, OTHER_MEMBER):
        await enrol(settings, person_id=person, org_id=ORG)
    yield engine
    await engine.dispose()


async def _report(db: AsyncEngine, state: str) -> str:
    """A report of AUTHOR in `state`, written as the earlier steps would leave it."""
    rid, now = uuid.uuid4(), SystemClock().now()
    adopted = state == "adopted"
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO opinion_reports (id, org_id, author_id, status, title, situation, analysis, suggestion,"
                " created_at, updated_at, submitted_at, version, adoption_level, adoption_mode, adopted_at)"
                " VALUES (:id, :org, :who, :status, '关于某事的建议', '情况', '分析', '建议', :now, :now,"
                " :submitted, 2, :level, :mode, :adopted_at)"
            ),
            {
                "id": rid,
                "org": ORG,
                "who": AUTHOR,
                "status": state,
                "now": now,
                "submitted": now if state != "draft" else None,
                "level": "municipal" if adopted else None,
                "mode": "single" if adopted else None,
                "adopted_at": now if adopted else None,
            },
        )
    return str(rid)


async def _not_filed_proposal(db: AsyncEngine) -> str:
    pid, now = uuid.uuid4(), SystemClock().now()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions, first_proposer_id,"
                " created_at, updated_at, submitted_at, version, not_filed_reason, not_filed_disposition)"
                " VALUES (:id, :org, 'not_filed', 'ordinary', '关于某事的建议', '情况', '[\"建议\"]', :who,"
                " :now, :now, :now, 3, '属于学术探讨', 'none')"
            ),
            {"id": pid, "org": ORG, "who": AUTHOR, "now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                " VALUES (:p, :who, 'first', 0, 'confirmed')"
            ),
            {"p": pid, "who": AUTHOR},
        )
    return str(pid)


async def _attach(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, rid: str, state: str
) -> str:
    """An attachment the author uploaded while the report was a draft."""
    async with db.begin() as conn:
        await conn.execute(text("UPDATE opinion_reports SET status = 'draft' WHERE id = :id"), {"id": rid})
    uploaded = await client.post(
        f"/api/v1/opinions/{rid}/attachments",
        content=PDF,
        headers={
            **issuer.headers(**CALLERS["author"]),  # type: ignore[arg-type]
            "Content-Type": "application/pdf",
            "X-Filename": "note.pdf",
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE opinion_reports SET status = :s WHERE id = :id"), {"s": state, "id": rid}
        )
    return str(uploaded.json()["id"])


def _verdict(response: httpx.Response) -> str | int:
    if response.status_code in (401, 403, 404):
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        return response.status_code
    assert response.status_code < 500, response.text
    return THROUGH


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
async def test_rule_28_every_caller_gets_its_answer_from_every_opinions_route(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, method: str, path: str
) -> None:
    case = MATRIX[(method, path)]
    got: dict[str, str | int] = {}
    for caller, claims in CALLERS.items():
        url = path
        if case.state == "not_filed_proposal":
            url = url.replace("{proposal_id}", await _not_filed_proposal(db))
        elif case.state != "none":
            rid = await _report(db, case.state)
            url = url.replace("{report_id}", rid)
            if case.attachment:
                url = url.replace("{attachment_id}", await _attach(client, issuer, db, rid, case.state))
        headers = {**case.headers, **(issuer.headers(**claims) if claims is not None else {})}
        if isinstance(case.body, bytes):
            response = await client.request(method, url, content=case.body, headers=headers)
        else:
            response = await client.request(method, url, json=case.body, headers=headers)
        got[caller] = _verdict(response)
    assert got == case.expected


def test_every_opinions_route_is_in_the_matrix(settings: Settings) -> None:
    routes = {
        (method, c.path)
        for c in iter_route_contexts(create_app(settings).routes)
        if isinstance(c.original_route, APIRoute) and c.path.startswith("/api/v1/opinions")
        for method in c.methods or ()
    }
    assert routes == set(MATRIX)
