"""The authorization matrix of the participation routes (rule 28, DESIGN.md §6): for every route,
every kind of caller gets its expected answer — 401 without a token, 403 for a role the route does
not admit or for a member of the organization who is not invited, 404 for another organization's
activity, and through otherwise.

"Through" means the authorization let the request reach the route's rule: a 2xx, or the rule's own
409 or 422 (a bogus check-in code, a summary before the close). Each (route, caller) pair gets a
fresh activity with what the route needs, so one caller's success never changes another's answer.
`test_every_participation_route_is_in_the_matrix` keeps the matrix complete.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute

from consultation_svc.main import PARTICIPATION_ROUTERS

from .participation_support import World, world

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
INVITEE, NON_INVITEE, OTHER_ORG_MEMBER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
THROUGH = "through"

CALLERS: dict[str, dict[str, Any] | None] = {
    "invitee": {"sub": INVITEE, "org": ORG, "roles": ["member"]},
    "non_invited_member": {"sub": NON_INVITEE, "org": ORG, "roles": ["member"]},
    "staff": {"org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "staff_without_scope": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": uuid.uuid4()},
    "partner": {"org": ORG, "roles": ["partner"], "unit": uuid.uuid4()},
    "admin": {"org": ORG, "roles": ["admin"]},
    "other_org_staff": {"org": OTHER_ORG, "roles": ["staff"], "scopes": ["consultation"]},
    "other_org_member": {"sub": OTHER_ORG_MEMBER, "org": OTHER_ORG, "roles": ["member"]},
    "public": None,
}
MEMBERS = ("invitee", "non_invited_member", "other_org_member")


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


# The office's acts: staff with the consultation scope of the organization.
OFFICE = answers(403, staff=THROUGH, other_org_staff=404)
# An invitee's own acts: a member of the organization who is not invited is told so (403).
INVITEE_ONLY = answers(403, invitee=THROUGH, other_org_member=404)
# Reading participation: invitees, the office and leaders of the organization.
READERS = answers(
    403, invitee=THROUGH, staff=THROUGH, leader=THROUGH, other_org_staff=404, other_org_member=404
)
# A member's own calendar: any member (their own invitations only).
OWN = answers(403, **dict.fromkeys(MEMBERS, THROUGH))
# The feed: the secret link is the credential, whoever calls.
FEED = dict.fromkeys(CALLERS, THROUGH)


@dataclass(frozen=True)
class Case:
    expected: dict[str, str | int]
    form: str = "bimonthly_forum"
    needs: frozenset[str] = frozenset()  # speech, attachment, written, opinion, deliberation, post, feed
    body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def needs(*what: str) -> frozenset[str]:
    return frozenset(what)


ACT = "/api/v1/consultations/activities/{activity_id}"
SPEECH = ACT + "/speeches/{speech_id}"
WRITTEN = ACT + "/written-consultation"
THREAD = ACT + "/deliberation"
FEED_PATH = "/api/v1/consultations/me/calendar-feed"
LATER = "2099-01-01T00:00:00+08:00"

MATRIX: dict[tuple[str, str], Case] = {
    ("GET", ACT + "/checkin-code"): Case(OFFICE),
    ("GET", ACT + "/checkin-code.png"): Case(OFFICE),
    ("POST", ACT + "/checkin"): Case(INVITEE_ONLY, body={"token": "v1.bogus"}),
    ("POST", ACT + "/speeches"): Case(INVITEE_ONLY, body={"mode": "oral", "title": "发言"}),
    ("GET", ACT + "/speeches"): Case(READERS),
    ("GET", SPEECH): Case(READERS, needs=needs("speech")),
    ("PATCH", SPEECH): Case(
        INVITEE_ONLY, needs=needs("speech"), body={"title": "改"}, headers={"If-Match": '"1"'}
    ),
    ("POST", SPEECH + "/withdraw"): Case(INVITEE_ONLY, needs=needs("speech")),
    ("POST", SPEECH + "/deliver"): Case(OFFICE, needs=needs("speech")),
    ("POST", SPEECH + "/decline"): Case(OFFICE, needs=needs("speech"), body={"reason": "时间所限"}),
    ("POST", SPEECH + "/attachments"): Case(
        INVITEE_ONLY,
        needs=needs("speech"),
        content=PDF,
        headers={"Content-Type": "application/pdf", "X-Filename": "a.pdf"},
    ),
    ("GET", SPEECH + "/attachments"): Case(READERS, needs=needs("speech", "attachment")),
    ("GET", SPEECH + "/attachments/{attachment_id}"): Case(READERS, needs=needs("speech", "attachment")),
    ("DELETE", SPEECH + "/attachments/{attachment_id}"): Case(
        INVITEE_ONLY, needs=needs("speech", "attachment")
    ),
    ("PUT", WRITTEN): Case(OFFICE, form="written", body={"document": "征求意见稿", "due_at": LATER}),
    ("GET", WRITTEN): Case(READERS, form="written", needs=needs("written")),
    ("PUT", WRITTEN + "/opinion"): Case(
        INVITEE_ONLY, form="written", needs=needs("written"), body={"text": "意见"}
    ),
    ("GET", WRITTEN + "/opinion"): Case(INVITEE_ONLY, form="written", needs=needs("written", "opinion")),
    ("GET", WRITTEN + "/opinions"): Case(READERS, form="written", needs=needs("written")),
    ("PUT", THREAD): Case(
        OFFICE,
        form="online",
        body={"topic": "议题", "opens_at": LATER, "closes_at": "2099-02-01T00:00:00+08:00"},
    ),
    ("GET", THREAD): Case(READERS, form="online", needs=needs("deliberation")),
    ("POST", THREAD + "/posts"): Case(
        INVITEE_ONLY, form="online", needs=needs("deliberation"), body={"text": "帖"}
    ),
    ("GET", THREAD + "/posts"): Case(READERS, form="online", needs=needs("deliberation")),
    ("POST", THREAD + "/posts/{post_id}/hide"): Case(
        OFFICE, form="online", needs=needs("deliberation", "post"), body={"reason": "无关"}
    ),
    ("POST", THREAD + "/posts/{post_id}/restore"): Case(
        OFFICE, form="online", needs=needs("deliberation", "post")
    ),
    ("POST", THREAD + "/summary"): Case(
        OFFICE, form="online", needs=needs("deliberation"), body={"summary": "综述"}
    ),
    ("GET", "/api/v1/consultations/me/activities"): Case(OWN),
    ("GET", FEED_PATH): Case(OWN),
    ("POST", FEED_PATH): Case(OWN),
    ("DELETE", FEED_PATH): Case(OWN, needs=needs("feed")),
    ("GET", "/api/v1/consultations/calendar-feeds/{secret}.ics"): Case(FEED, needs=needs("feed")),
}


@pytest.fixture(scope="module")
async def w(databases: Any, module_nats_url: str) -> AsyncIterator[World]:
    async with world(databases, module_nats_url) as made:
        yield made


def test_every_participation_route_is_in_the_matrix() -> None:
    routes = {
        (method, route.path)
        for router in PARTICIPATION_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routes == set(MATRIX)


async def _prepare(w: World, case: Case, caller: str) -> dict[str, str]:
    """A fresh activity (and whatever the route names) for one (route, caller) pair."""
    office = w.headers(org=ORG, roles=["staff"], scopes=["consultation"])
    invitee = w.headers(INVITEE, ORG)
    activity = await w.activity(ORG, invitees=[INVITEE], form=case.form)
    ids = {"activity_id": str(activity)}
    base = f"/api/v1/consultations/activities/{activity}"
    if "speech" in case.needs:
        r = await w.client.post(
            f"{base}/speeches", json={"mode": "written", "title": "发言"}, headers=invitee
        )
        ids["speech_id"] = r.json()["id"]
    if "attachment" in case.needs:
        headers = {**invitee, "Content-Type": "application/pdf", "X-Filename": "a.pdf"}
        r = await w.client.post(
            f"{base}/speeches/{ids['speech_id']}/attachments", content=PDF, headers=headers
        )
        ids["attachment_id"] = r.json()["id"]
    if "written" in case.needs:
        r = await w.client.put(
            f"{base}/written-consultation", json={"document": "稿", "due_at": LATER}, headers=office
        )
        assert r.status_code == 201, r.text
    if "opinion" in case.needs:
        r = await w.client.put(f"{base}/written-consultation/opinion", json={"text": "意见"}, headers=invitee)
        assert r.status_code == 201, r.text
    if "deliberation" in case.needs:
        opens = (w.clock.now() - timedelta(minutes=1)).isoformat()
        body = {"topic": "议题", "opens_at": opens, "closes_at": LATER}
        assert (await w.client.put(f"{base}/deliberation", json=body, headers=office)).status_code == 201
    if "post" in case.needs:
        r = await w.client.post(f"{base}/deliberation/posts", json={"text": "帖"}, headers=invitee)
        ids["post_id"] = r.json()["id"]
    if "feed" in case.needs:
        owner = CALLERS[caller]
        headers = w.headers(owner["sub"], owner["org"]) if owner and owner["roles"] == ["member"] else invitee
        r = await w.client.post("/api/v1/consultations/me/calendar-feed", headers=headers)
        ids["secret"] = r.json()["secret"]
    return ids


def _judge(status: int) -> str | int:
    return status if status in (401, 403, 404) else THROUGH


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_the_matrix(w: World, method: str, path: str) -> None:
    case = MATRIX[(method, path)]
    wrong: list[str] = []
    for caller, claims in CALLERS.items():
        ids = await _prepare(w, case, caller)
        url = path.format(**ids)
        headers = dict(case.headers)
        if claims is not None:
            headers.update(w.headers(**claims))
        if case.content is not None:
            r = await w.client.request(method, url, content=case.content, headers=headers)
        else:
            r = await w.client.request(method, url, json=case.body, headers=headers)
        assert r.status_code < 500, f"{caller}: {r.status_code} {r.text[:300]}"
        if _judge(r.status_code) != case.expected[caller]:
            wrong.append(f"{caller}: expected {case.expected[caller]}, got {r.status_code} {r.text[:160]}")
    assert not wrong, "\n".join(wrong)
