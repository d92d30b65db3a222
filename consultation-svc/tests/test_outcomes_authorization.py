"""The authorization matrix of the outcome routes (rule 28, DESIGN.md §6): for every route, every
kind of caller gets its expected answer — 401 without a token, 403 for a role the route does not
admit, 404 for an outcome the caller may not see (another organization's, another unit's, a draft
outside the office), and through otherwise.

"Through" means the authorization let the request reach its rule: a 2xx, or the rule's own 409 or
422. Each (route, caller) pair gets a fresh outcome in the state the route acts on, so one caller's
success never changes another's answer. `test_every_outcome_route_is_in_the_matrix` keeps the
matrix complete."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer

from .outcomes_support import MIGRATIONS, PDF, draft, insert_activity, insert_unit

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
UNIT, OTHER_UNIT = uuid.uuid4(), uuid.uuid4()
THROUGH = "through"

CALLERS: dict[str, dict[str, Any] | None] = {
    "staff": {"org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "staff_without_scope": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "member": {"org": ORG, "roles": ["member"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": UNIT},
    "partner": {"org": ORG, "roles": ["partner"], "unit": UNIT},
    "other_unit_user": {"org": ORG, "roles": ["unit_user"], "unit": OTHER_UNIT},
    "other_partner": {"org": ORG, "roles": ["partner"], "unit": OTHER_UNIT},
    "other_org_staff": {"org": OTHER_ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "other_org_leader": {"org": OTHER_ORG, "roles": ["leader"]},
    "admin": {"org": ORG, "roles": ["admin"]},
    "public": None,
}


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    """The expected answer of every caller: `default`, but 401 for the public and `callers`' own."""
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


# The office's steps: staff with the consultation scope of the organization; another organization's
# office does not see the outcome.
OFFICE = answers(403, staff=THROUGH, other_org_staff=404)
# Who reads a sent outcome UNIT is responsible for (rule 28).
READERS = answers(
    404,
    staff=THROUGH,
    leader=THROUGH,
    unit_user=THROUGH,
    partner=THROUGH,
    member=403,
    admin=403,
)
# Lists: whoever may read outcomes at all; each sees what `readable` gives (maybe nothing).
LISTERS = answers(THROUGH, member=403, admin=403)
# Rule 22: the feedback is the office's or the responsible unit's to record.
FEEDBACK = answers(
    403,
    staff=THROUGH,
    unit_user=THROUGH,
    partner=THROUGH,
    other_unit_user=404,
    other_partner=404,
    other_org_staff=404,
)
TRACKERS = answers(403, staff=THROUGH, leader=THROUGH, other_org_staff=THROUGH, other_org_leader=THROUGH)


@dataclass(frozen=True)
class Case:
    state: str  # "draft" | "sent" | "none" (the route takes no outcome id)
    expected: dict[str, str | int]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    attachment: bool = False  # the outcome has an attachment, named by the path


PDF_HEADERS = {"Content-Type": "application/pdf", "X-Filename": "note.pdf"}
MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/consultations/outcome-tracking/{year}"): Case("none", TRACKERS),
    ("GET", "/api/v1/consultations/outcome-tracking/{year}/workbook"): Case("none", TRACKERS),
    ("POST", "/api/v1/consultations/outcomes"): Case("none", OFFICE, body="create"),
    ("GET", "/api/v1/consultations/outcomes"): Case("none", LISTERS),
    ("GET", "/api/v1/consultations/outcomes/{outcome_id}"): Case("sent", READERS),
    ("PATCH", "/api/v1/consultations/outcomes/{outcome_id}"): Case(
        "draft", OFFICE, body={"title": "新标题"}, headers={"If-Match": '"1"'}
    ),
    ("POST", "/api/v1/consultations/outcomes/{outcome_id}/submit"): Case("draft", OFFICE),
    ("POST", "/api/v1/consultations/outcomes/{outcome_id}/instructions"): Case(
        "sent",
        OFFICE,
        body={"level": "municipal", "leader": "市长李某", "text": "请研究", "instructed_on": "2026-11-30"},
    ),
    ("POST", "/api/v1/consultations/outcomes/{outcome_id}/feedback"): Case(
        "sent", FEEDBACK, body={"text": "已采纳", "received_on": "2026-11-30"}
    ),
    ("PUT", "/api/v1/consultations/outcomes/{outcome_id}/feedback-due-date"): Case(
        "sent", OFFICE, body={"feedback_due_on": "2027-05-31", "reason": "延期"}
    ),
    ("POST", "/api/v1/consultations/outcomes/{outcome_id}/follow-ups"): Case(
        "sent", OFFICE, body={"note": "督促"}
    ),
    ("POST", "/api/v1/consultations/outcomes/{outcome_id}/attachments"): Case(
        "draft", OFFICE, body=PDF, headers=PDF_HEADERS
    ),
    ("GET", "/api/v1/consultations/outcomes/{outcome_id}/attachments"): Case(
        "sent", READERS, attachment=True
    ),
    ("GET", "/api/v1/consultations/outcomes/{outcome_id}/attachments/{attachment_id}"): Case(
        "sent", READERS, attachment=True
    ),
    ("DELETE", "/api/v1/consultations/outcomes/{outcome_id}/attachments/{attachment_id}"): Case(
        "draft", OFFICE, attachment=True
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
    await insert_unit(engine, UNIT, ORG, "市发展改革委")
    await insert_unit(engine, OTHER_UNIT, ORG, "市财政局")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def activity(db: AsyncEngine) -> str:
    return await insert_activity(db, ORG, datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


async def _outcome(
    client: httpx.AsyncClient, issuer: TestIssuer, activity: str, case: Case
) -> tuple[str, str]:
    """A fresh outcome in the case's state (UNIT responsible), with an attachment if the case names one."""
    office = issuer.headers(**CALLERS["staff"])  # type: ignore[arg-type]
    outcome = await draft(client, office, activity, UNIT)
    url = f"/api/v1/consultations/outcomes/{outcome['id']}"
    attachment = ""
    if case.attachment:
        r = await client.post(f"{url}/attachments", content=PDF, headers={**office, **PDF_HEADERS})
        assert r.status_code == 201, r.text
        attachment = r.json()["id"]
    if case.state == "sent":
        r = await client.post(f"{url}/submit", headers=office)
        assert r.status_code == 200, r.text
    return outcome["id"], attachment


def _verdict(response: httpx.Response) -> str | int:
    if response.status_code in (401, 403, 404):
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        return response.status_code
    assert response.status_code < 500, response.text
    return THROUGH


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
async def test_every_caller_gets_its_answer_from_every_outcome_route(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, activity: str, method: str, path: str
) -> None:
    case = MATRIX[(method, path)]
    got: dict[str, str | int] = {}
    for caller, claims in CALLERS.items():
        url = path.replace("{year}", "2026")
        if case.state != "none":
            outcome_id, attachment_id = await _outcome(client, issuer, activity, case)
            url = url.replace("{outcome_id}", outcome_id).replace("{attachment_id}", attachment_id)
        headers = {**case.headers, **(issuer.headers(**claims) if claims is not None else {})}
        body = (
            {"activity_id": activity, "kind": "brief", "title": "协商专报"}
            if case.body == "create"
            else case.body
        )
        if isinstance(body, bytes):
            response = await client.request(method, url, content=body, headers=headers)
        else:
            response = await client.request(method, url, json=body, headers=headers)
        got[caller] = _verdict(response)
    assert got == case.expected


def test_every_outcome_route_is_in_the_matrix(settings: Settings) -> None:
    routes = {
        (method, c.path)
        for c in iter_route_contexts(create_app(settings).routes)
        if isinstance(c.original_route, APIRoute)
        and c.path.startswith(("/api/v1/consultations/outcomes", "/api/v1/consultations/outcome-tracking"))
        for method in c.methods or ()
    }
    assert routes == set(MATRIX)
