"""Activities through the API on a real database and NATS, the clock moved (FakeClock): scheduling,
invitees by every selection, the notice and materials with rule 21's lead times, answers and leave
(rule 24), attendance and the close (rule 25), visibility (rule 28)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.testing.tokens import TestIssuer

from .conftest import BASE, auth, enrol, staged

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
SECTOR, COMMITTEE = uuid.uuid4(), uuid.uuid4()
ALICE, BOB, CAROL, DAVE, EVE, FRANK = (uuid.uuid4() for _ in range(6))  # EVE resigned
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
# Friday 10 October 2025, 09:00–12:00 in Shanghai.
STARTS = datetime(2025, 10, 10, 1, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=3)


@pytest.fixture(autouse=True)
def _at_base(clock: FakeClock) -> None:
    clock.set(BASE)


@pytest.fixture(scope="module")
async def people(db: AsyncEngine) -> None:
    await enrol(db, person_id=ALICE, org_id=ORG, name="艾丽", sector_id=SECTOR)
    await enrol(db, person_id=BOB, org_id=ORG, name="鲍勃", committee_ids=[COMMITTEE])
    await enrol(db, person_id=CAROL, org_id=ORG, name="卡萝", standing=True)
    await enrol(db, person_id=DAVE, org_id=ORG, name="戴夫")
    await enrol(db, person_id=EVE, org_id=ORG, name="伊芙", status="resigned")
    await enrol(db, person_id=FRANK, org_id=ORG, name="弗兰克")


def staff(issuer: TestIssuer, org: uuid.UUID = ORG) -> dict[str, str]:
    return auth(issuer, org=org, roles=["staff"], scopes=["consultation"])


def member(issuer: TestIssuer, person: uuid.UUID) -> dict[str, str]:
    return auth(issuer, sub=person, org=ORG, roles=["member"])


async def scheduled(client: httpx.AsyncClient, issuer: TestIssuer, **over: Any) -> dict[str, Any]:
    body = {
        "form": "bimonthly_forum",
        "title": "双月协商座谈会：优化营商环境",
        "starts_at": STARTS.isoformat(),
        "ends_at": ENDS.isoformat(),
        "venue": "政协常委会议室",
        **over,
    }
    r = await client.post("/api/v1/consultations/activities", json=body, headers=staff(issuer))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def invited(
    client: httpx.AsyncClient, issuer: TestIssuer, activity: dict[str, Any], **selection: Any
) -> Any:
    r = await client.post(
        f"/api/v1/consultations/activities/{activity['id']}/invitees", json=selection, headers=staff(issuer)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def notified(client: httpx.AsyncClient, issuer: TestIssuer, **over: Any) -> dict[str, Any]:
    activity = await scheduled(client, issuer, **over)
    await invited(client, issuer, activity, person_ids=[str(ALICE), str(BOB), str(CAROL)])
    r = await client.post(f"/api/v1/consultations/activities/{activity['id']}/notice", headers=staff(issuer))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_staff_schedule_an_activity_of_a_form_and_its_kind_follows(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine
) -> None:
    activity = await scheduled(client, issuer, form="thematic_standing")
    assert (activity["status"], activity["kind"], activity["version"]) == (
        "scheduled",
        "standing_committee",
        1,
    )
    [event] = await staged(db, "cppcc.consultation.activity_scheduled.v1", activity["id"])
    assert event["activity_kind"] == "standing_committee"
    r = await client.post(
        "/api/v1/consultations/activities",
        json={"form": "picnic", "title": "x", "starts_at": STARTS.isoformat(), "ends_at": ENDS.isoformat()},
        headers=staff(issuer),
    )
    assert (r.status_code, r.json()["code"]) == (422, "consultation.unknown_form")
    backwards = {"form": "talk", "title": "x", "starts_at": ENDS.isoformat(), "ends_at": STARTS.isoformat()}
    r = await client.post("/api/v1/consultations/activities", json=backwards, headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.times_invalid")


async def test_edit_while_scheduled_with_if_match_then_not_after_the_notice(
    client: httpx.AsyncClient, issuer: TestIssuer, people: None
) -> None:
    activity = await scheduled(client, issuer)
    url = f"/api/v1/consultations/activities/{activity['id']}"
    r = await client.patch(url, json={"title": "新题目"}, headers={**staff(issuer), "If-Match": '"7"'})
    assert r.status_code == 412
    r = await client.patch(
        url, json={"title": "新题目", "venue": None}, headers={**staff(issuer), "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["title"] == "新题目" and r.json()["venue"] is None
    assert r.headers["ETag"] == '"2"'
    await invited(client, issuer, activity, person_ids=[str(ALICE)])
    assert (await client.post(url + "/notice", headers=staff(issuer))).status_code == 200
    r = await client.patch(url, json={"title": "再改"}, headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (409, "consultation.invalid_transition")


async def test_invitees_by_list_sector_committee_standing_and_all_from_the_projection_plus_guests(
    client: httpx.AsyncClient, issuer: TestIssuer, people: None
) -> None:
    activity = await scheduled(client, issuer)
    result = await invited(client, issuer, activity, sector_ids=[str(SECTOR)], committee_ids=[str(COMMITTEE)])
    assert result["added"] == 2  # Alice by her sector, Bob by his committee
    assert (await invited(client, issuer, activity, standing=True))["added"] == 1  # Carol
    guests = [
        {"name": "王局长", "kind": "official", "affiliation": "市发改委"},
        {"name": "李教授", "kind": "expert"},
    ]
    assert (await invited(client, issuer, activity, all=True, guests=guests))[
        "added"
    ] == 4  # Dave, Frank, 2 guests
    r = await client.get(f"/api/v1/consultations/activities/{activity['id']}/invitees", headers=staff(issuer))
    rows = r.json()["items"]
    members = {row["person_id"]: row["invited_via"] for row in rows if row["person_id"]}
    assert members == {
        str(ALICE): "sector",
        str(BOB): "committee",
        str(CAROL): "standing",
        str(DAVE): "all",
        str(FRANK): "all",
    }
    assert str(EVE) not in members  # resigned: not invited
    assert sorted(row["name"] for row in rows if row["guest_kind"]) == ["李教授", "王局长"]
    r = await client.post(
        f"/api/v1/consultations/activities/{activity['id']}/invitees",
        json={"person_ids": [str(EVE)]},
        headers=staff(issuer),
    )
    assert (r.status_code, r.json()["code"]) == (422, "consultation.not_current_members")
    r = await client.post(
        f"/api/v1/consultations/activities/{activity['id']}/invitees", json={}, headers=staff(issuer)
    )
    assert (r.status_code, r.json()["code"]) == (422, "consultation.invitee_selection_empty")


async def test_rule_21_a_notice_within_the_lead_time_goes_out_and_tells_every_invitee(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, people: None
) -> None:
    activity = await notified(client, issuer)  # 18 days before
    assert activity["status"] == "notified" and activity["notice_late_reason"] is None
    [event] = await staged(db, "cppcc.consultation.notice_issued.v1", activity["id"])
    assert sorted(event["invitee_ids"]) == sorted(str(p) for p in (ALICE, BOB, CAROL))
    assert event["late"] is False


async def test_rule_21_a_late_notice_needs_a_recorded_reason(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, clock: FakeClock, people: None
) -> None:
    activity = await scheduled(client, issuer)
    await invited(client, issuer, activity, person_ids=[str(ALICE)])
    url = f"/api/v1/consultations/activities/{activity['id']}/notice"
    clock.set(datetime(2025, 9, 30, 16, 0, tzinfo=UTC))  # 1 October in Shanghai: 9 days before
    r = await client.post(url, headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.notice_late_reason_required")
    assert "2025-09-30" in r.json()["detail"]
    r = await client.post(url, json={"late_reason": "市领导日程调整"}, headers=staff(issuer))
    assert r.status_code == 200 and r.json()["notice_late_reason"] == "市领导日程调整"
    [event] = await staged(db, "cppcc.consultation.notice_issued.v1", activity["id"])
    assert (event["late"], event["late_reason"]) == (True, "市领导日程调整")


async def test_rule_21_materials_late_need_a_reason_and_invitees_see_them_only_once_published(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, clock: FakeClock, people: None
) -> None:
    activity = await notified(client, issuer)
    url = f"/api/v1/consultations/activities/{activity['id']}/materials"
    r = await client.post(url + "/publish", headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.no_materials")
    upload = {**staff(issuer), "Content-Type": "application/pdf", "X-Filename": "%E6%9D%90%E6%96%99.pdf"}
    r = await client.post(url, content=PDF, headers=upload)
    assert r.status_code == 201, r.text
    material = r.json()
    assert (await client.get(url, headers=member(issuer, ALICE))).status_code == 404  # not published yet
    clock.set(datetime(2025, 10, 5, 2, 0, tzinfo=UTC))  # 5 October: the 5-day lead ended on the 5th
    r = await client.post(url + "/publish", headers=staff(issuer))
    assert r.status_code == 200 and r.json()["materials_late_reason"] is None
    clock.set(BASE)
    r = await client.get(url, headers=member(issuer, ALICE))
    assert [m["file_name"] for m in r.json()] == ["材料.pdf"]
    r = await client.get(f"{url}/{material['id']}", headers=member(issuer, ALICE))
    assert r.content == PDF and r.headers["content-type"] == "application/pdf"
    [event] = await staged(db, "cppcc.consultation.materials_published.v1", activity["id"])
    assert event["attachment_ids"] == [material["id"]] and event["late"] is False
    r = await client.delete(f"{url}/{material['id']}", headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (409, "consultation.materials_published")

    late = await notified(client, issuer)
    url = f"/api/v1/consultations/activities/{late['id']}/materials"
    assert (await client.post(url, content=PDF, headers=upload)).status_code == 201
    clock.set(datetime(2025, 10, 5, 16, 0, tzinfo=UTC))  # 6 October in Shanghai: 4 days before
    r = await client.post(url + "/publish", headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.materials_late_reason_required")
    r = await client.post(url + "/publish", json={"late_reason": "材料待市政府审定"}, headers=staff(issuer))
    assert r.status_code == 200 and r.json()["materials_late_reason"] == "材料待市政府审定"


async def test_a_fake_pdf_is_refused_by_the_shared_attachment_rules(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    activity = await scheduled(client, issuer)
    url = f"/api/v1/consultations/activities/{activity['id']}/materials"
    upload = {**staff(issuer), "Content-Type": "application/pdf", "X-Filename": "a.pdf"}
    r = await client.post(url, content=b"MZ\x90\x00not a pdf", headers=upload)
    assert (r.status_code, r.json()["code"]) == (422, "attachment.content_mismatch")
    r = await client.post(url, content=b"x", headers={**upload, "Content-Type": "application/x-msdownload"})
    assert (r.status_code, r.json()["code"]) == (415, "attachment.unsupported_type")


async def test_reschedule_and_cancel_need_a_reason_and_tell_every_invitee(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, people: None
) -> None:
    activity = await notified(client, issuer)
    url = f"/api/v1/consultations/activities/{activity['id']}"
    later = STARTS + timedelta(days=7)
    move = {
        "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=2)).isoformat(),
        "reason": "与常委会冲突",
    }
    r = await client.post(url + "/reschedule", json=move, headers=staff(issuer))
    assert r.status_code == 200 and r.json()["rescheduled_count"] == 1
    assert r.json()["venue"] == "政协常委会议室"  # left out: unchanged
    [moved] = await staged(db, "cppcc.consultation.activity_rescheduled.v1", activity["id"])
    assert moved["reason"] == "与常委会冲突" and len(moved["invitee_ids"]) == 3
    r = await client.post(url + "/cancel", json={"reason": ""}, headers=staff(issuer))
    assert r.status_code == 422
    r = await client.post(url + "/cancel", json={"reason": "主题调整"}, headers=staff(issuer))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    [cancelled] = await staged(db, "cppcc.consultation.activity_cancelled.v1", activity["id"])
    assert cancelled["reason"] == "主题调整" and len(cancelled["invitee_ids"]) == 3
    r = await client.post(url + "/cancel", json={"reason": "again"}, headers=staff(issuer))
    assert r.status_code == 409


async def test_invitees_answer_attend_or_decline_and_only_their_own(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, people: None
) -> None:
    activity = await notified(client, issuer)
    url = f"/api/v1/consultations/activities/{activity['id']}"
    r = await client.put(url + "/answer", json={"answer": "attend"}, headers=member(issuer, ALICE))
    assert r.status_code == 200 and r.json()["answer"] == "attend"
    r = await client.put(url + "/answer", json={"answer": "decline"}, headers=member(issuer, BOB))
    assert r.status_code == 200
    assert (await client.get(url, headers=member(issuer, ALICE))).json()["my_answer"] == "attend"
    r = await client.put(url + "/answer", json={"answer": "attend"}, headers=member(issuer, DAVE))
    assert r.status_code == 404  # not invited: not even visible
    r = await client.put(url + "/answer", json={"answer": "leave"}, headers=member(issuer, ALICE))
    assert r.status_code == 422  # leave is asked with a reason at …/leave
    events = await staged(db, "cppcc.consultation.invitation_answered.v1", activity["id"])
    assert {(e["person_id"], e["answer"]) for e in events} == {(str(ALICE), "attend"), (str(BOB), "decline")}


async def test_rule_24_leave_approved_within_the_yearly_limit_refused_with_a_reason(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, people: None
) -> None:
    leaves = []
    for _ in range(3):
        activity = await scheduled(client, issuer)
        url = f"/api/v1/consultations/activities/{activity['id']}"
        await invited(client, issuer, activity, person_ids=[str(FRANK)])
        assert (await client.post(url + "/notice", headers=staff(issuer))).status_code == 200
        r = await client.post(url + "/leave", json={"reason": "出差"}, headers=member(issuer, FRANK))
        assert r.status_code == 201, r.text
        leaves.append((url, r.json()))
    [event] = await staged(db, "cppcc.consultation.leave_requested.v1", leaves[0][1]["activity_id"])
    assert event["person_id"] == str(FRANK) and event["reason"] == "出差"
    url, first = leaves[0]
    r = await client.post(url + "/leave", json={"reason": "again"}, headers=member(issuer, FRANK))
    assert (r.status_code, r.json()["code"]) == (409, "consultation.leave_already_requested")
    for url, leave in leaves[:2]:
        r = await client.post(f"{url}/leaves/{leave['id']}/approve", headers=staff(issuer))
        assert r.status_code == 200 and r.json()["status"] == "approved"
    url, third = leaves[2]
    r = await client.post(f"{url}/leaves/{third['id']}/approve", headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.leave_limit_reached")
    r = await client.post(
        f"{url}/leaves/{third['id']}/refuse", json={"reason": "会议重要"}, headers=staff(issuer)
    )
    assert r.status_code == 200 and r.json()["refusal_reason"] == "会议重要"
    [refused] = await staged(db, "cppcc.consultation.leave_refused.v1", third["activity_id"])
    assert (refused["person_id"], refused["reason"], refused["activity_kind"]) == (
        str(FRANK),
        "会议重要",
        "meeting",
    )
    approved = await staged(db, "cppcc.consultation.leave_approved.v1", first["activity_id"])
    assert [a["leave_id"] for a in approved] == [first["id"]]
    r = await client.post(f"{url}/leaves/{third['id']}/approve", headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (409, "consultation.leave_invalid_transition")


async def test_rule_24_and_25_closing_sends_attendance_and_absences_to_the_ledger(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine, clock: FakeClock, people: None
) -> None:
    """Alice stays throughout, Bob leaves after an hour (below 2/3: the ledger counts it an
    absence by the minutes the event carries), Carol's leave is approved (excused), Dave's refused
    (unexcused)."""
    activity = await scheduled(client, issuer, form="thematic_standing")
    url = f"/api/v1/consultations/activities/{activity['id']}"
    await invited(client, issuer, activity, person_ids=[str(p) for p in (ALICE, BOB, CAROL, DAVE)])
    assert (await client.post(url + "/notice", headers=staff(issuer))).status_code == 200
    carol = (await client.post(url + "/leave", json={"reason": "住院"}, headers=member(issuer, CAROL))).json()
    dave = (await client.post(url + "/leave", json={"reason": "有事"}, headers=member(issuer, DAVE))).json()
    await client.post(f"{url}/leaves/{carol['id']}/approve", headers=staff(issuer))
    clock.set(STARTS + timedelta(minutes=5))
    r = await client.post(url + "/close", headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (409, "consultation.leaves_pending")
    await client.post(f"{url}/leaves/{dave['id']}/refuse", json={"reason": "不批准"}, headers=staff(issuer))
    stay = {"arrived_at": (STARTS - timedelta(minutes=10)).isoformat()}
    assert (
        await client.put(f"{url}/attendances/{ALICE}", json=stay, headers=staff(issuer))
    ).status_code == 200
    early = {"arrived_at": STARTS.isoformat(), "left_at": (STARTS + timedelta(hours=1)).isoformat()}
    assert (
        await client.put(f"{url}/attendances/{BOB}", json=early, headers=staff(issuer))
    ).status_code == 200
    r = await client.put(f"{url}/attendances/{EVE}", json=stay, headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.not_an_invitee")
    future = {"arrived_at": (STARTS + timedelta(hours=1)).isoformat()}
    r = await client.put(f"{url}/attendances/{ALICE}", json=future, headers=staff(issuer))
    assert (r.status_code, r.json()["code"]) == (422, "consultation.attendance_times_invalid")
    clock.set(ENDS + timedelta(minutes=1))
    r = await client.post(url + "/close", headers=staff(issuer))
    assert r.status_code == 200 and r.json()["status"] == "closed"
    attended = {
        e["person_id"]: e
        for e in await staged(db, "cppcc.consultation.attendance_recorded.v1", activity["id"])
    }
    assert {p: (e["scheduled_minutes"], e["attended_minutes"]) for p, e in attended.items()} == {
        str(ALICE): (180, 180),
        str(BOB): (180, 60),
    }
    assert {e["activity_kind"] for e in attended.values()} == {"standing_committee"}
    absent = {
        e["person_id"]: e for e in await staged(db, "cppcc.consultation.absence_recorded.v1", activity["id"])
    }
    assert {p: e["excused"] for p, e in absent.items()} == {str(CAROL): True, str(DAVE): False}
    assert absent[str(CAROL)]["leave_id"] == carol["id"]
    # A correction after the close goes to the ledger again.
    fixed = {
        "arrived_at": STARTS.isoformat(),
        "left_at": (STARTS + timedelta(hours=2, minutes=30)).isoformat(),
    }
    assert (
        await client.put(f"{url}/attendances/{BOB}", json=fixed, headers=staff(issuer))
    ).status_code == 200
    bob = [
        e
        for e in await staged(db, "cppcc.consultation.attendance_recorded.v1", activity["id"])
        if e["person_id"] == str(BOB)
    ]
    assert [e["attended_minutes"] for e in bob] == [60, 150]


async def test_rule_28_members_see_only_notified_activities_they_are_invited_to(
    client: httpx.AsyncClient, issuer: TestIssuer, people: None
) -> None:
    activity = await scheduled(client, issuer)
    url = f"/api/v1/consultations/activities/{activity['id']}"
    await invited(client, issuer, activity, person_ids=[str(ALICE)])
    assert (await client.get(url, headers=member(issuer, ALICE))).status_code == 404  # no notice yet
    await client.post(url + "/notice", headers=staff(issuer))
    assert (await client.get(url, headers=member(issuer, ALICE))).status_code == 200
    assert (await client.get(url, headers=member(issuer, DAVE))).status_code == 404
    assert (await client.get(url, headers=auth(issuer, org=ORG, roles=["leader"]))).status_code == 200
    assert (await client.get(url, headers=staff(issuer, OTHER_ORG))).status_code == 404
    plain_staff = auth(issuer, org=ORG, roles=["staff"], scopes=["proposals"])
    assert (await client.get(url, headers=plain_staff)).status_code == 404
    mine = (await client.get("/api/v1/consultations/activities", headers=member(issuer, ALICE))).json()[
        "items"
    ]
    assert activity["id"] in {a["id"] for a in mine}
    theirs = (await client.get("/api/v1/consultations/activities", headers=member(issuer, DAVE))).json()[
        "items"
    ]
    assert activity["id"] not in {a["id"] for a in theirs}


async def test_the_policy_is_read_by_the_office_and_set_by_an_admin(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    org = uuid.uuid4()
    url = "/api/v1/consultations/activity-policy"
    r = await client.get(url, headers=auth(issuer, org=org, roles=["staff"], scopes=["consultation"]))
    assert r.status_code == 200 and r.json()["notice_lead_days"] == 10 and r.json()["version"] == 0
    admin = auth(issuer, org=org, roles=["admin"])
    r = await client.patch(url, json={"lead_time_unit": "working", "notice_lead_days": 15}, headers=admin)
    assert r.status_code == 200 and (r.json()["lead_time_unit"], r.json()["notice_lead_days"]) == (
        "working",
        15,
    )
    r = await client.patch(url, json={"materials_lead_days": 10}, headers={**admin, "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["notice_lead_days"] == 15 and r.json()["version"] == 2
    r = await client.patch(url, json={"notice_lead_days": 1}, headers=staff(issuer, org))
    assert r.status_code == 403
