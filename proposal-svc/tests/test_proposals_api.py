"""Drafting and submitting proposals through the API, on a real database and NATS."""

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text

from cppcc_common.change import trace_id_of
from cppcc_common.contracts.member import PlenarySessionScheduledV1
from cppcc_common.db import RequestUnit, create_engine
from cppcc_common.events import make_event
from cppcc_common.testing.events import wait_for_event
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.settings import Settings

from .conftest import enrol

ORG = uuid.uuid4()
OTHER_ORG = uuid.uuid4()
GOOD = {
    "title": "关于加快老旧小区加装电梯的建议",
    "situation": "老旧小区多层住宅普遍没有电梯。",
    "suggestions": ["简化审批流程", "设立专项补贴"],
}


MEMBER = uuid.uuid4()


@pytest.fixture(scope="module")
async def people(issuer: TestIssuer, settings: Settings) -> dict[str, dict[str, str]]:
    def h(**kw: Any) -> dict[str, str]:
        return issuer.headers(**kw)

    await enrol(settings, person_id=MEMBER, org_id=ORG)
    return {
        "member": h(sub=MEMBER, org=ORG, roles=["member"]),
        "other_member": h(sub=uuid.uuid4(), org=ORG, roles=["member"]),
        "staff": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["proposals"]),
        "staff_no_scope": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["consultation"]),
        "foreign_staff": h(sub=uuid.uuid4(), org=OTHER_ORG, roles=["staff"], scopes=["proposals"]),
        "unit_user": h(sub=uuid.uuid4(), org=ORG, roles=["unit_user"], unit=uuid.uuid4()),
    }


async def _draft(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> Any:
    r = await client.post("/api/v1/proposals", json=body if body is not None else GOOD, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_member_drafts_and_submits_and_the_event_is_published(
    client: httpx.AsyncClient, settings: Settings, people: Any
) -> None:
    draft = await _draft(client, people["member"])
    assert draft["status"] == "draft" and draft["version"] == 1
    submitted = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["member"])
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted" and submitted.json()["kind"] == "ordinary"
    nc = await nats.connect(settings.nats_url)
    try:
        event = await wait_for_event(
            nc.jetstream(), "cppcc.proposal.submitted.v1", lambda e: e.subject == draft["id"]
        )
    finally:
        await nc.close()
    assert event.data["title"] == GOOD["title"] and event.orgid == ORG
    assert event.source == "/proposal-svc" and event.actorid is not None


async def test_a_submit_runs_at_the_driver_and_makes_no_orm_session(
    client: httpx.AsyncClient, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The submit's transition, history row and outbox row go through the request's unit at the
    driver: SQLAlchemy's Session is never made for it (docs/conventions.md, the write path)."""
    draft = await _draft(client, people["member"])
    made: list[RequestUnit] = []
    session_of = RequestUnit.session.fget
    assert session_of is not None
    # Only the request's units (the app runs in this task under httpx's ASGI transport): the service's
    # consumers take units of the same kind in tasks of their own meanwhile.
    here = asyncio.current_task()

    def noted(unit: RequestUnit) -> Any:
        if asyncio.current_task() is here:
            made.append(unit)
        return session_of(unit)

    monkeypatch.setattr(RequestUnit, "session", property(noted))
    submitted = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["member"])
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert made == []
    # …while a route that reads through the ORM still gets its session, in the same kind of unit.
    timeline = await client.get(f"/api/v1/proposals/{draft['id']}/timeline", headers=people["member"])
    assert timeline.status_code == 200 and made


async def test_rule_1_proposal_cannot_be_submitted_without_title_situation_and_suggestion(
    client: httpx.AsyncClient, people: Any
) -> None:
    draft = await _draft(client, people["member"], {"title": "只有案由"})
    r = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["member"])
    assert r.status_code == 422 and r.json()["code"] == "proposal.incomplete"
    assert {e["field"] for e in r.json()["errors"]} == {"situation", "suggestions"}
    assert (await client.get(f"/api/v1/proposals/{draft['id']}", headers=people["member"])).json()[
        "status"
    ] == "draft"


async def test_rule_1_title_limit_is_the_organizations_policy(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    org = uuid.uuid4()
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO proposal_policies (org_id, values) VALUES (:o, :v)"),
            {"o": org, "v": '{"title_max_chars": 10}'},
        )
    await engine.dispose()
    headers = issuer.headers(org=org, roles=["member"])
    r = await client.post(
        "/api/v1/proposals", json={**GOOD, "title": "十一个字的案由超过限制了"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "title_too_long"
    assert "10" in r.json()["errors"][0]["message"]


async def test_a_proposal_is_submitted_once(client: httpx.AsyncClient, people: Any) -> None:
    draft = await _draft(client, people["member"])
    assert (
        await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["member"])
    ).status_code == 200
    again = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["member"])
    assert again.status_code == 409 and again.json()["code"] == "proposal.invalid_transition"


async def test_stale_if_match_is_412(client: httpx.AsyncClient, people: Any) -> None:
    draft = await _draft(client, people["member"])
    edited = await client.patch(
        f"/api/v1/proposals/{draft['id']}",
        json={"title": "修改后的案由"},
        headers={**people["member"], "If-Match": '"1"'},
    )
    assert edited.status_code == 200 and edited.headers["etag"] == '"2"'
    stale = await client.patch(
        f"/api/v1/proposals/{draft['id']}",
        json={"title": "再次修改"},
        headers={**people["member"], "If-Match": '"1"'},
    )
    assert stale.status_code == 412


async def test_rule_28_a_member_sees_only_their_own_drafts(client: httpx.AsyncClient, people: Any) -> None:
    draft = await _draft(client, people["member"])
    for who in ("other_member", "staff", "foreign_staff"):
        r = await client.get(f"/api/v1/proposals/{draft['id']}", headers=people[who])
        assert r.status_code == 404, who
    edit = await client.patch(
        f"/api/v1/proposals/{draft['id']}",
        json={"title": "x"},
        headers={**people["other_member"], "If-Match": "*"},
    )
    assert edit.status_code == 404
    listed = (await client.get("/api/v1/proposals", headers=people["other_member"])).json()["items"]
    assert draft["id"] not in {p["id"] for p in listed}


async def test_rule_28_staff_see_submitted_proposals_of_their_own_organization_only(
    client: httpx.AsyncClient, people: Any
) -> None:
    draft = await _draft(client, people["member"])
    await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["member"])
    assert (await client.get(f"/api/v1/proposals/{draft['id']}", headers=people["staff"])).status_code == 200
    assert (
        await client.get(f"/api/v1/proposals/{draft['id']}", headers=people["foreign_staff"])
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/proposals/{draft['id']}", headers=people["staff_no_scope"])
    ).status_code == 404
    staff_list = (await client.get("/api/v1/proposals", headers=people["staff"])).json()["items"]
    assert draft["id"] in {p["id"] for p in staff_list}
    assert all(p["status"] != "draft" for p in staff_list)
    foreign = (await client.get("/api/v1/proposals", headers=people["foreign_staff"])).json()["items"]
    assert all(p["org_id"] != str(ORG) for p in foreign)


async def test_unit_users_and_staff_cannot_draft(client: httpx.AsyncClient, people: Any) -> None:
    for who in ("unit_user", "staff"):
        r = await client.post("/api/v1/proposals", json=GOOD, headers=people[who])
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    # A unit user lists only the proposals assigned to its unit (rule 28): none here.
    listed = await client.get("/api/v1/proposals", headers=people["unit_user"])
    assert listed.status_code == 200 and listed.json()["items"] == []


async def test_clients_cannot_set_server_owned_fields(client: httpx.AsyncClient, people: Any) -> None:
    r = await client.post("/api/v1/proposals", json={**GOOD, "status": "filed"}, headers=people["member"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"


async def test_pagination_is_stable_and_capped(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    headers = issuer.headers(org=uuid.uuid4(), roles=["member"])
    ids = {(await _draft(client, headers))["id"] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/proposals", params=params, headers=headers)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and set(seen) == ids
    assert (await client.get("/api/v1/proposals", params={"limit": 1000}, headers=headers)).status_code == 422
    bad = await client.get("/api/v1/proposals", params={"cursor": "garbage"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_unknown_and_malformed_ids_are_404_and_422(client: httpx.AsyncClient, people: Any) -> None:
    assert (
        await client.get(f"/api/v1/proposals/{uuid.uuid4()}", headers=people["member"])
    ).status_code == 404
    assert (await client.get("/api/v1/proposals/not-a-uuid", headers=people["member"])).status_code == 422


async def test_rule_5_a_proposal_submitted_in_a_session_window_is_a_session_proposal(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    org = uuid.uuid4()
    now = datetime.now(UTC)
    window = PlenarySessionScheduledV1(
        session_id=uuid.uuid4(),
        org_id=org,
        term_id=uuid.uuid4(),
        number=1,
        opens_on=(now + timedelta(days=30)).date(),
        closes_on=(now + timedelta(days=34)).date(),
        proposal_window_opens_at=now - timedelta(days=60),
        proposal_deadline_at=now + timedelta(days=32),
    )
    event = make_event(window, source="/member-svc", subject=window.session_id, orgid=org)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    sub = uuid.uuid4()
    await enrol(settings, person_id=sub, org_id=org)
    headers = issuer.headers(sub=sub, org=org, roles=["member"])
    engine = create_engine(settings.database_url, pool_size=1)
    for _ in range(100):  # the consumer keeps the window
        async with engine.connect() as conn:
            if (
                await conn.execute(text("SELECT count(*) FROM session_windows WHERE org_id = :o"), {"o": org})
            ).scalar():
                break
        await asyncio.sleep(0.05)
    await engine.dispose()
    draft = await _draft(client, headers)
    submitted = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=headers)
    assert submitted.json()["kind"] == "session"


async def test_rule_2_only_a_member_of_the_current_term_may_submit(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    org = uuid.uuid4()
    stranger, former, resigned = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await enrol(settings, person_id=former, org_id=org, starts_on="2013-01-01", ends_on="2017-12-31")
    await enrol(settings, person_id=resigned, org_id=org, status="resigned")
    for who in (stranger, former, resigned):
        headers = issuer.headers(sub=who, org=org, roles=["member"])
        draft = await _draft(client, headers)  # drafting is allowed; submitting is not
        r = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "proposal.not_a_current_member"
        assert r.json()["title"] == "仅本届在任委员可以提交提案"


async def test_rule_2_membership_follows_member_svc_events_even_out_of_order(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    from datetime import date

    from cppcc_common.contracts.member import MemberRegisteredV1, MemberStatusChangedV1

    org, sub, member_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    snapshot = dict(
        member_id=member_id,
        person_id=sub,
        org_id=org,
        term_id=uuid.uuid4(),
        name="委员",
        sector_id=None,
        party="无党派",
        is_standing=False,
        term_starts_on=date(2023, 1, 1),
        term_ends_on=date(2099, 12, 31),
    )
    revoked = MemberStatusChangedV1(**snapshot, status="revoked", from_status="active", version=2)
    registered = MemberRegisteredV1(**snapshot, status="active", version=1)
    headers = issuer.headers(sub=sub, org=org, roles=["member"])
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    first = make_event(registered, source="/member-svc", subject=member_id, orgid=org)
    await js.publish(first.type, first.to_json(), headers={"Nats-Msg-Id": str(first.id)})

    async def submit_status() -> int:
        draft = await _draft(client, headers)
        return (await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=headers)).status_code

    for _ in range(100):
        if await submit_status() == 200:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the membership never arrived")
    # The revocation, then a stale copy of the registration: the newer version wins.
    for data in (revoked, registered):
        event = make_event(data, source="/member-svc", subject=member_id, orgid=org)
        await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}"})
    await nc.close()
    for _ in range(100):
        if await submit_status() == 403:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the revocation never arrived")
    await asyncio.sleep(0.3)
    assert await submit_status() == 403


async def test_editing_a_draft_needs_if_match_with_a_strong_current_tag(
    client: httpx.AsyncClient, people: Any
) -> None:
    draft = await _draft(client, people["member"])
    url, change = f"/api/v1/proposals/{draft['id']}", {"title": "关于条件写入的建议"}
    missing = await client.patch(url, json=change, headers=people["member"])
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    assert missing.headers["vary"] == "Accept-Language"
    weak = await client.patch(url, json=change, headers={**people["member"], "If-Match": 'W/"1"'})
    assert weak.status_code == 412
    for malformed in ("1", '"1', '"1" "2"', '"²'):
        value = malformed.encode("latin-1")  # headers are bytes; '²' passed isdigit() and failed int()
        r = await client.patch(url, json=change, headers={**people["member"], "If-Match": value})
        assert r.status_code == 400, malformed
    star = await client.patch(url, json=change, headers={**people["member"], "If-Match": "*"})
    assert star.status_code == 200 and star.headers["etag"] == '"2"'
    missing_draft = await client.patch(
        f"/api/v1/proposals/{uuid.uuid4()}", json=change, headers={**people["member"], "If-Match": "*"}
    )
    assert missing_draft.status_code == 404  # `*` matches an existing resource only


async def test_the_submitted_event_carries_the_requests_trace(
    client: httpx.AsyncClient, settings: Settings, people: Any
) -> None:
    """The event continues the trace of the request that made the change (a child span of it), and
    names the version the change produced."""
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    draft = await _draft(client, people["member"])
    submitted = await client.post(
        f"/api/v1/proposals/{draft['id']}/submit", headers={**people["member"], "traceparent": traceparent}
    )
    assert submitted.status_code == 200, submitted.text
    nc = await nats.connect(settings.nats_url)
    try:
        event = await wait_for_event(
            nc.jetstream(), "cppcc.proposal.submitted.v1", lambda e: e.subject == draft["id"]
        )
    finally:
        await nc.close()
    assert trace_id_of(event.traceparent) == trace_id and event.traceparent != traceparent
    assert event.data["version"] == submitted.json()["version"] == 2
    assert event.actorid == MEMBER
    assert event.time == datetime.fromisoformat(submitted.json()["submitted_at"])


async def test_every_change_of_a_proposal_leaves_a_history_row(
    client: httpx.AsyncClient, settings: Settings, people: Any
) -> None:
    """Creating, editing and submitting: who did what, from which status to which, when."""
    draft = await _draft(client, people["member"])
    url = f"/api/v1/proposals/{draft['id']}"
    edited = await client.patch(
        url, json={"title": "改过的案由"}, headers={**people["member"], "If-Match": '"1"'}
    )
    submitted = await client.post(f"{url}/submit", headers=people["member"])
    assert edited.status_code == 200 and submitted.status_code == 200
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT action, from_status, to_status, actor_id, at FROM proposal_history"
                    " WHERE proposal_id = :p ORDER BY at, action"
                ),
                {"p": draft["id"]},
            )
        ).all()
    await engine.dispose()
    assert [(r.action, r.from_status, r.to_status, r.actor_id) for r in rows] == [
        ("create", None, "draft", MEMBER),
        ("edit", "draft", "draft", MEMBER),
        ("submit", "draft", "submitted", MEMBER),
    ]
    assert [r.at for r in rows] == [
        datetime.fromisoformat(x)
        for x in (draft["created_at"], edited.json()["updated_at"], submitted.json()["updated_at"])
    ]
