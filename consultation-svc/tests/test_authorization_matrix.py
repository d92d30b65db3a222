"""The authorization matrix of consultation-svc's activities (rule 28, DESIGN.md §6): for every
route, every kind of caller gets its expected answer — 401 without a token, 403 for a role the
route does not admit, 404 for an activity the caller may not see (another organization's, one the
member is not invited to, a staff member without the `consultation` scope), and through otherwise.

"Through" means the authorization let the request reach its rule: a 2xx, or the rule's own 409 or
422. Each (route, caller) pair gets a fresh activity in the state the route acts on, made through
the API by the office, so one caller's success never changes another's answer.
`test_every_route_of_the_service_is_in_the_matrix` keeps the matrix complete.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.testing.tokens import TestIssuer

from .conftest import BASE, auth, enrol

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
INVITEE, OTHER_MEMBER = uuid.uuid4(), uuid.uuid4()
UNIT = uuid.uuid4()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
THROUGH = "through"
STARTS = BASE + timedelta(hours=2)  # soon: attendance may be marked, the notice is late (a reason)

CALLERS: dict[str, dict[str, Any] | None] = {
    "invitee": {"sub": INVITEE, "org": ORG, "roles": ["member"]},
    "other_member": {"sub": OTHER_MEMBER, "org": ORG, "roles": ["member"]},
    "staff": {"org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "staff_without_scope": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": UNIT},
    "partner": {"org": ORG, "roles": ["partner"], "unit": UNIT},
    "other_org_staff": {"org": OTHER_ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "other_org_member": {"org": OTHER_ORG, "roles": ["member"]},
    "admin": {"org": ORG, "roles": ["admin"]},
    "public": None,
}


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    """The expected answer of every caller: `default`, but 401 for the public and `callers`' own."""
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


# Who reads a notified activity: its invitee, the office and the leaders (rule 28).
READERS = answers(404, invitee=THROUGH, staff=THROUGH, leader=THROUGH, unit_user=403, partner=403, admin=403)
# The office's steps: staff with the `consultation` scope of the organization.
OFFICE = answers(403, staff=THROUGH, other_org_staff=404)
# The lists behind an activity: the office and the leaders.
OVERSEERS = answers(403, staff=THROUGH, leader=THROUGH, other_org_staff=404)
# The invitee's own answers: members who do not see the activity get 404.
OWN = answers(403, invitee=THROUGH, other_member=404, other_org_member=404)
ADMIN = answers(403, admin=THROUGH)


@dataclass(frozen=True)
class Case:
    state: str  # none | scheduled | notified | published (materials) | leave
    expected: dict[str, str | int]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    material: bool = False  # the activity has a material, named by the path


ONE = "/api/v1/consultations/activities/{activity_id}"
UPLOAD = {"Content-Type": "application/pdf", "X-Filename": "material.pdf"}
MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/consultations/forms"): Case("none", answers(THROUGH, partner=403)),
    ("POST", "/api/v1/consultations/activities"): Case(
        "none",
        answers(403, staff=THROUGH, other_org_staff=THROUGH),
        body={
            "form": "talk",
            "title": "约谈",
            "starts_at": (STARTS + timedelta(days=1)).isoformat(),
            "ends_at": (STARTS + timedelta(days=1, hours=1)).isoformat(),
        },
    ),
    ("GET", "/api/v1/consultations/activities"): Case(
        "none", answers(THROUGH, unit_user=403, partner=403, admin=403)
    ),
    ("GET", ONE): Case("notified", READERS),
    ("PATCH", ONE): Case("scheduled", OFFICE, body={"title": "新题目"}),
    ("POST", ONE + "/invitees"): Case("scheduled", OFFICE, body={"person_ids": [str(OTHER_MEMBER)]}),
    ("GET", ONE + "/invitees"): Case("notified", OVERSEERS),
    ("DELETE", ONE + "/invitees/{invitation_id}"): Case("scheduled", OFFICE),
    ("POST", ONE + "/notice"): Case("scheduled", OFFICE, body={"late_reason": "临时安排"}),
    ("POST", ONE + "/materials"): Case("scheduled", OFFICE, body=PDF, headers=UPLOAD),
    ("GET", ONE + "/materials"): Case("published", READERS),
    ("GET", ONE + "/materials/{attachment_id}"): Case("published", READERS, material=True),
    ("DELETE", ONE + "/materials/{attachment_id}"): Case("scheduled", OFFICE, material=True),
    ("POST", ONE + "/materials/publish"): Case(
        "notified", OFFICE, body={"late_reason": "临时安排"}, material=True
    ),
    ("POST", ONE + "/reschedule"): Case(
        "notified",
        OFFICE,
        body={
            "starts_at": (STARTS + timedelta(days=1)).isoformat(),
            "ends_at": (STARTS + timedelta(days=1, hours=2)).isoformat(),
            "reason": "冲突",
        },
    ),
    ("POST", ONE + "/cancel"): Case("notified", OFFICE, body={"reason": "取消"}),
    ("POST", ONE + "/close"): Case("notified", OFFICE),
    ("GET", ONE + "/history"): Case("notified", OVERSEERS),
    ("PUT", ONE + "/answer"): Case("notified", OWN, body={"answer": "attend"}),
    ("POST", ONE + "/leave"): Case("notified", OWN, body={"reason": "出差"}),
    ("GET", ONE + "/leaves"): Case("leave", OVERSEERS),
    ("POST", ONE + "/leaves/{leave_id}/approve"): Case("leave", OFFICE),
    ("POST", ONE + "/leaves/{leave_id}/refuse"): Case("leave", OFFICE, body={"reason": "会议重要"}),
    ("PUT", ONE + "/attendances/{person_id}"): Case(
        "notified", OFFICE, body={"arrived_at": (BASE - timedelta(minutes=1)).isoformat()}
    ),
    ("GET", ONE + "/attendances"): Case("notified", OVERSEERS),
    ("GET", "/api/v1/consultations/activity-policy"): Case(
        "none",
        answers(
            403,
            staff=THROUGH,
            staff_without_scope=THROUGH,
            leader=THROUGH,
            other_org_staff=THROUGH,
            admin=THROUGH,
        ),
    ),
    ("PATCH", "/api/v1/consultations/activity-policy"): Case("none", ADMIN, body={"notice_lead_days": 10}),
    ("GET", "/api/v1/consultations/working-calendar/{year}"): Case("none", ADMIN),
    ("PUT", "/api/v1/consultations/working-calendar/{year}"): Case(
        "none", ADMIN, body={"holidays": [], "workdays": []}, headers={"If-Match": '"0"'}
    ),
}


@pytest.fixture(scope="module")
async def people(db: AsyncEngine) -> None:
    for person in (INVITEE, OTHER_MEMBER):
        await enrol(db, person_id=person, org_id=ORG)


def office(issuer: TestIssuer) -> dict[str, str]:
    return auth(issuer, **CALLERS["staff"])  # type: ignore[arg-type]


async def _activity(client: httpx.AsyncClient, issuer: TestIssuer, case: Case) -> dict[str, str]:
    """An activity of ORG in the case's state with INVITEE invited, made through the office's API."""
    body = {
        "form": "bimonthly_forum",
        "title": "双月协商座谈会",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=3)).isoformat(),
    }
    activity = (
        await client.post("/api/v1/consultations/activities", json=body, headers=office(issuer))
    ).json()
    url = f"/api/v1/consultations/activities/{activity['id']}"
    ids = {"activity_id": activity["id"], "person_id": str(INVITEE)}
    await client.post(url + "/invitees", json={"person_ids": [str(INVITEE)]}, headers=office(issuer))
    invitees = (await client.get(url + "/invitees", headers=office(issuer))).json()["items"]
    ids["invitation_id"] = invitees[0]["id"]
    if case.material or case.state == "published":
        r = await client.post(url + "/materials", content=PDF, headers={**office(issuer), **UPLOAD})
        assert r.status_code == 201, r.text
        ids["attachment_id"] = r.json()["id"]
    if case.state in ("notified", "published", "leave"):
        r = await client.post(url + "/notice", json={"late_reason": "临时安排"}, headers=office(issuer))
        assert r.status_code == 200, r.text
    if case.state == "published":
        r = await client.post(
            url + "/materials/publish", json={"late_reason": "临时"}, headers=office(issuer)
        )
        assert r.status_code == 200, r.text
    if case.state == "leave":
        r = await client.post(
            url + "/leave", json={"reason": "出差"}, headers=auth(issuer, **CALLERS["invitee"])
        )  # type: ignore[arg-type]
        assert r.status_code == 201, r.text
        ids["leave_id"] = r.json()["id"]
    return ids


def _verdict(response: httpx.Response) -> str | int:
    if response.status_code in (401, 403, 404):
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        return response.status_code
    assert response.status_code < 500, response.text
    return THROUGH


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
async def test_every_caller_gets_its_answer_from_every_route(
    client: httpx.AsyncClient, issuer: TestIssuer, people: None, method: str, path: str
) -> None:
    case = MATRIX[(method, path)]
    got: dict[str, str | int] = {}
    for caller, claims in CALLERS.items():
        url = path.replace("{year}", "2030")
        if case.state != "none":
            for name, value in (await _activity(client, issuer, case)).items():
                url = url.replace("{" + name + "}", value)
        headers = {**case.headers, **(auth(issuer, **claims) if claims is not None else {})}
        if isinstance(case.body, bytes):
            response = await client.request(method, url, content=case.body, headers=headers)
        else:
            response = await client.request(method, url, json=case.body, headers=headers)
        got[caller] = _verdict(response)
    assert got == case.expected


# The modules whose routes this matrix covers; the plans', participation's and outcomes' routes
# have matrices of their own (test_plans_authorization.py, …).
COVERED = {
    "consultation_svc.activities.router",
    "consultation_svc.plans.forms",
    "cppcc_common.workdays_router",
}


def test_every_route_of_the_service_is_in_the_matrix(settings: Settings) -> None:
    routes = {
        (method, c.path)
        for c in iter_route_contexts(create_app(settings).routes)
        if isinstance(c.original_route, APIRoute)
        and c.path.startswith("/api/v1/consultations")
        and c.original_route.endpoint.__module__ in COVERED
        for method in c.methods or ()
    }
    assert routes == set(MATRIX)
