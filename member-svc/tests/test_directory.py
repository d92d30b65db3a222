"""Organizations, terms, sessions, sectors, committees, units and member records (DOMAIN.md §1)."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from cppcc_common.db import create_engine
from member_svc.settings import Settings

from .conftest import sign_in_people

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
PASSWORD = "Passw0rd-乙"
PHONES = {
    "admin": "13600000001",
    "staff": "13600000002",
    "member": "13600000003",
    "other_admin": "13600000004",
    "proposals_staff": "13600000005",
}


@pytest.fixture(scope="module")
async def tokens(settings: Settings, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    roles = {
        "admin": (["admin"], []),
        "staff": (["staff"], ["members"]),
        "member": (["member"], []),
        "other_admin": (["admin"], []),
        "proposals_staff": (["staff"], ["proposals"]),
    }
    orgs = [(ORG, "丙市政协", "municipal", None), (OTHER_ORG, "丁县政协", "county", ORG)]
    people = {
        who: (OTHER_ORG if who == "other_admin" else ORG, PHONES[who], r, scopes)
        for who, (r, scopes) in roles.items()
    }
    return await sign_in_people(settings, client, orgs=orgs, people=people, password=PASSWORD)


@pytest.fixture(scope="module")
async def term(client: httpx.AsyncClient, tokens: Any) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/orgs/current/terms",
        headers=tokens["admin"],
        json={"number": 15, "starts_on": "2023-01-01", "ends_on": "2027-12-31"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _outbox(settings: Settings, subject: str) -> list[str]:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    text("SELECT payload FROM outbox WHERE subject = :s ORDER BY created_at"), {"s": subject}
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    return list(rows)


async def test_a_plenary_session_gets_a_session_proposal_window_and_is_published(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any], settings: Settings
) -> None:
    r = await client.post(
        "/api/v1/orgs/current/sessions",
        headers=tokens["staff"],
        json={
            "term_id": term["id"],
            "number": 4,
            "opens_on": "2026-01-10",
            "closes_on": "2026-01-14",
            "proposal_deadline_at": "2026-01-12T18:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["proposal_window_opens_at"].startswith(
        "2025-10-10"
    )  # 3 months before, the policy default
    org = (await client.get("/api/v1/orgs/current", headers=tokens["member"])).json()
    assert org["name"] == "丙市政协" and [s["number"] for s in org["sessions"]] == [4]
    assert any(r.json()["id"] in p for p in await _outbox(settings, "cppcc.org.plenary_session_scheduled.v1"))


async def test_session_dates_must_make_sense(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any]
) -> None:
    r = await client.post(
        "/api/v1/orgs/current/sessions",
        headers=tokens["admin"],
        json={
            "term_id": term["id"],
            "number": 9,
            "opens_on": "2030-01-10",
            "closes_on": "2030-01-14",
            "proposal_deadline_at": "2030-01-12T18:00:00+08:00",
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "directory.invalid_dates"
    en = await client.post(
        "/api/v1/orgs/current/terms",
        headers={**tokens["admin"], "Accept-Language": "en"},
        json={"number": 16, "starts_on": "2028-01-01", "ends_on": "2027-01-01"},
    )
    assert en.json()["detail"] == "A term must end after it starts"


async def test_sectors_committees_and_units_are_per_organization(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    for path, name in (("/api/v1/sectors", "经济界"), ("/api/v1/committees", "提案委员会")):
        assert (await client.post(path, headers=tokens["staff"], json={"name": name})).status_code == 201
        dup = await client.post(path, headers=tokens["staff"], json={"name": name})
        assert dup.status_code == 409 and dup.json()["code"] == "directory.name_taken"
        listed = (await client.get(path, params={"limit": 100}, headers=tokens["member"])).json()["items"]
        assert name in {s["name"] for s in listed}
        foreign = (await client.get(path, params={"limit": 100}, headers=tokens["other_admin"])).json()[
            "items"
        ]
        assert name not in {s["name"] for s in foreign}
        assert (await client.post(path, headers=tokens["member"], json={"name": "x"})).status_code == 403
    unit = await client.post(
        "/api/v1/units", headers=tokens["admin"], json={"name": "市教育局", "kind": "government"}
    )
    assert unit.status_code == 201


async def test_unit_users_are_bound_to_their_unit_and_log_in_by_sms(
    client: httpx.AsyncClient, tokens: Any, settings: Settings
) -> None:
    unit = (await client.post("/api/v1/units", headers=tokens["admin"], json={"name": "市卫健委"})).json()
    r = await client.post(
        f"/api/v1/units/{unit['id']}/users",
        headers=tokens["admin"],
        json={"name": "办文员", "phone": "13600000099"},
    )
    assert r.status_code == 201
    await client.post("/api/v1/auth/sms-codes", json={"phone": "13600000099"})
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        sms = (
            await conn.execute(text("SELECT text FROM local_sms_messages WHERE phone = '13600000099'"))
        ).scalar()
    await engine.dispose()
    login = await client.post(
        "/api/v1/auth/login/sms", json={"phone": "13600000099", "code": sms.split("验证码为 ")[1][:6]}
    )
    me = (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    ).json()
    assert me["roles"] == ["unit_user"] and me["unit_id"] == unit["id"]
    foreign = await client.post(
        f"/api/v1/units/{unit['id']}/users",
        headers=tokens["other_admin"],
        json={"name": "x", "phone": "13600000098"},
    )
    assert foreign.status_code == 404


async def _sector(client: httpx.AsyncClient, tokens: Any, name: str) -> str:
    return str(
        (await client.post("/api/v1/sectors", headers=tokens["staff"], json={"name": name})).json()["id"]
    )


async def test_adding_a_member_creates_the_account_and_publishes_it(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any], settings: Settings
) -> None:
    sector = await _sector(client, tokens, "教育界")
    committee = (
        await client.post("/api/v1/committees", headers=tokens["staff"], json={"name": "教科卫体委员会"})
    ).json()
    r = await client.post(
        "/api/v1/members",
        headers=tokens["staff"],
        json={
            "person": {"name": "陈老师", "phone": "13611110001"},
            "term_id": term["id"],
            "sector_id": sector,
            "party": "民进",
            "is_standing": True,
            "committees": [{"committee_id": committee["id"], "position": "vice_chair"}],
        },
    )
    assert r.status_code == 201, r.text
    member = r.json()
    assert member["status"] == "active" and member["committees"][0]["position"] == "vice_chair"
    again = await client.post(
        "/api/v1/members",
        headers=tokens["staff"],
        json={"person": {"name": "陈老师", "phone": "13611110001"}, "term_id": term["id"]},
    )
    assert again.status_code == 409 and again.json()["code"] == "member.already_in_term"
    published = await _outbox(settings, "cppcc.member.registered.v1")
    assert any(member["id"] in p and "13611110001" not in p for p in published)  # no phone in the event


async def test_member_changes_need_the_current_version_and_status_changes_keep_their_reason(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any], settings: Settings
) -> None:
    member = (
        await client.post(
            "/api/v1/members",
            headers=tokens["staff"],
            json={"person": {"name": "刘工", "phone": "13611110002"}, "term_id": term["id"]},
        )
    ).json()
    mid = member["id"]
    ok = await client.patch(
        f"/api/v1/members/{mid}", headers={**tokens["staff"], "If-Match": '"1"'}, json={"party": "九三学社"}
    )
    assert ok.status_code == 200 and ok.json()["party"] == "九三学社" and ok.headers["etag"] == '"2"'
    stale = await client.patch(
        f"/api/v1/members/{mid}", headers={**tokens["staff"], "If-Match": '"1"'}, json={"party": "民盟"}
    )
    assert stale.status_code == 412
    resigned = await client.post(
        f"/api/v1/members/{mid}/status",
        headers=tokens["staff"],
        json={"status": "resigned", "reason": "本人申请辞去委员职务"},
    )
    assert resigned.status_code == 200 and resigned.json()["status"] == "resigned"
    same = await client.post(
        f"/api/v1/members/{mid}/status",
        headers=tokens["staff"],
        json={"status": "resigned", "reason": "again"},
    )
    assert same.status_code == 409
    history = (await client.get(f"/api/v1/members/{mid}/status-history", headers=tokens["staff"])).json()[
        "items"
    ]
    assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "active"), ("active", "resigned")]
    assert history[1]["reason"] == "本人申请辞去委员职务" and history[1]["actor_id"]
    changed = await _outbox(settings, "cppcc.member.status_changed.v1")
    assert any(mid in p and "本人申请" not in p for p in changed)  # the reason stays in member-svc


async def test_rule_28_member_data_is_for_staff_and_the_member_only(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any]
) -> None:
    other = (
        await client.post(
            "/api/v1/members",
            headers=tokens["staff"],
            json={"person": {"name": "赵医生", "phone": "13611110003"}, "term_id": term["id"]},
        )
    ).json()
    assert (await client.get("/api/v1/members", headers=tokens["member"])).status_code == 403
    assert (await client.get(f"/api/v1/members/{other['id']}", headers=tokens["member"])).status_code == 403
    assert (
        await client.get(f"/api/v1/members/{other['id']}", headers=tokens["other_admin"])
    ).status_code == 404
    roster = (
        await client.get("/api/v1/members", params={"limit": 100}, headers=tokens["proposals_staff"])
    ).json()["items"]
    assert other["id"] in {m["id"] for m in roster}
    foreign_roster = (await client.get("/api/v1/members", headers=tokens["other_admin"])).json()["items"]
    assert other["id"] not in {m["id"] for m in foreign_roster}
    # The member reads their own record (after being added to the roster with their account's phone).
    mine = await client.post(
        "/api/v1/members",
        headers=tokens["staff"],
        json={"person": {"name": "member", "phone": PHONES["member"]}, "term_id": term["id"]},
    )
    assert mine.status_code == 201
    own = await client.get("/api/v1/members/me", headers=tokens["member"])
    assert own.status_code == 200 and [m["id"] for m in own.json()] == [mine.json()["id"]]


async def test_a_phone_of_another_organization_cannot_be_taken_over(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any]
) -> None:
    r = await client.post(
        "/api/v1/members",
        headers=tokens["staff"],
        json={"person": {"name": "冒名", "phone": PHONES["other_admin"]}, "term_id": term["id"]},
    )
    assert r.status_code == 409 and r.json()["code"] == "member.phone_in_other_org"


async def test_sector_officers_must_be_people_of_the_organization(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any]
) -> None:
    sector = await _sector(client, tokens, "农业界")
    a = (
        await client.post(
            "/api/v1/members",
            headers=tokens["staff"],
            json={
                "person": {"name": "召集人甲", "phone": "13611110004"},
                "term_id": term["id"],
                "sector_id": sector,
            },
        )
    ).json()
    ok = await client.put(
        f"/api/v1/sectors/{sector}/officers",
        headers=tokens["staff"],
        json={"first_convener_id": a["person_id"]},
    )
    assert ok.status_code == 204
    bad = await client.put(
        f"/api/v1/sectors/{sector}/officers",
        headers=tokens["staff"],
        json={"first_convener_id": str(uuid.uuid4())},
    )
    assert bad.status_code == 404


async def test_officers_unit_users_parties_and_committee_rosters_can_be_read(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any]
) -> None:
    sector = await _sector(client, tokens, "科技界")
    committee = (
        await client.post("/api/v1/committees", headers=tokens["staff"], json={"name": "经济委员会"})
    ).json()
    first = (
        await client.post(
            "/api/v1/members",
            headers=tokens["staff"],
            json={
                "person": {"name": "第一召集人", "phone": "13611110005"},
                "term_id": term["id"],
                "sector_id": sector,
                "committees": [{"committee_id": committee["id"], "position": "chair"}],
            },
        )
    ).json()
    liaison = (
        await client.post(
            "/api/v1/members",
            headers=tokens["staff"],
            json={
                "person": {"name": "联络员", "phone": "13611110006"},
                "term_id": term["id"],
                "sector_id": sector,
            },
        )
    ).json()
    await client.put(
        f"/api/v1/sectors/{sector}/officers",
        headers=tokens["staff"],
        json={"first_convener_id": first["person_id"], "liaison_id": liaison["person_id"]},
    )
    officers = (await client.get(f"/api/v1/sectors/{sector}/officers", headers=tokens["member"])).json()
    assert [(o["name"], o["role"]) for o in officers] == [
        ("第一召集人", "first_convener"),
        ("联络员", "liaison"),
    ]
    in_committee = (
        await client.get("/api/v1/members", params={"committee_id": committee["id"]}, headers=tokens["staff"])
    ).json()["items"]
    assert [m["name"] for m in in_committee] == ["第一召集人"]
    assert "九三学社" in {
        p["name"] for p in (await client.get("/api/v1/parties", headers=tokens["member"])).json()
    }
    unit = (await client.post("/api/v1/units", headers=tokens["admin"], json={"name": "市司法局"})).json()
    await client.post(
        f"/api/v1/units/{unit['id']}/users",
        headers=tokens["admin"],
        json={"name": "司法局联系人", "phone": "13600000097"},
    )
    users = (await client.get(f"/api/v1/units/{unit['id']}/users", headers=tokens["staff"])).json()["items"]
    assert [u["name"] for u in users] == ["司法局联系人"] and set(users[0]) == {"id", "name"}
    assert (
        await client.get(f"/api/v1/units/{unit['id']}/users", headers=tokens["member"])
    ).status_code == 403


async def _walk(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[list[str]]:
    """Every page of a collection, two items at a time."""
    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_sectors_committees_units_and_partner_clients_are_cursor_paginated(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    admin = tokens["other_admin"]
    unit = None
    for path, names in (
        ("/api/v1/sectors", ["分页界一", "分页界二", "分页界三"]),
        ("/api/v1/committees", ["分页委一", "分页委二", "分页委三"]),
        ("/api/v1/units", ["分页局一", "分页局二", "分页局三"]),
    ):
        for name in names:
            created = await client.post(path, headers=admin, json={"name": name})
            assert created.status_code == 201, created.text
            unit = created.json()
        whole = (await client.get(path, params={"limit": 100}, headers=admin)).json()["items"]
        pages = await _walk(client, path, admin)
        assert all(len(p) <= 2 for p in pages) and len(pages) >= 2
        assert [i for p in pages for i in p] == [item["id"] for item in whole]  # no gap, no repeat
        assert [item["name"] for item in whole] == sorted(item["name"] for item in whole)
        assert (await client.get(path, params={"q": names[0]}, headers=admin)).status_code == 422
        assert (await client.get(path, params={"cursor": "nonsense"}, headers=admin)).status_code == 422
    assert unit is not None
    for n in range(3):
        r = await client.post(
            "/api/v1/partner-clients", headers=admin, json={"name": f"分页系统{n}", "unit_id": unit["id"]}
        )
        assert r.status_code == 201, r.text
    whole = (await client.get("/api/v1/partner-clients", params={"limit": 100}, headers=admin)).json()[
        "items"
    ]
    pages = await _walk(client, "/api/v1/partner-clients", admin)
    assert [i for p in pages for i in p] == [c["id"] for c in whole] and len(pages) >= 2


async def test_updating_a_member_needs_if_match_with_a_strong_current_tag(
    client: httpx.AsyncClient, tokens: Any, term: dict[str, Any]
) -> None:
    member = (
        await client.post(
            "/api/v1/members",
            headers=tokens["staff"],
            json={"person": {"name": "条件写", "phone": "13611110077"}, "term_id": term["id"]},
        )
    ).json()
    url, change = f"/api/v1/members/{member['id']}", {"party": "民盟"}
    missing = await client.patch(url, headers=tokens["staff"], json=change)
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    weak = await client.patch(url, headers={**tokens["staff"], "If-Match": 'W/"1"'}, json=change)
    assert weak.status_code == 412
    malformed = await client.patch(url, headers={**tokens["staff"], "If-Match": "1"}, json=change)
    assert malformed.status_code == 400 and malformed.json()["code"] == "bad_if_match"
    listed = await client.patch(url, headers={**tokens["staff"], "If-Match": '"7", "1"'}, json=change)
    assert listed.status_code == 200 and listed.headers["etag"] == '"2"'
    anything = await client.patch(url, headers={**tokens["staff"], "If-Match": "*"}, json={"party": "民进"})
    assert anything.status_code == 200 and anything.headers["etag"] == '"3"'
