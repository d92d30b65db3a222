"""Participation through the HTTP API on a real PostgreSQL: check-in, speeches, written
consultation, online deliberation, the member's calendar and its feed. Time is a FakeClock."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from consultation_svc.checkin import domain as checkin_domain
from consultation_svc.participation.policy import DEFAULT_POLICY

from .participation_support import World, events, needs_record_attendance, world

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
A = "/api/v1/consultations/activities"


@pytest.fixture(scope="module")
async def w(databases: Any, module_nats_url: str) -> AsyncIterator[World]:
    async with world(databases, module_nats_url) as made:
        yield made


def office(w: World, org: uuid.UUID) -> dict[str, str]:
    return w.headers(org=org, roles=["staff"], scopes=["consultation"])


# --- check-in ---------------------------------------------------------------------------------------


async def _code(w: World, org: uuid.UUID, activity: uuid.UUID) -> str:
    r = await w.client.get(f"{A}/{activity}/checkin-code", headers=office(w, org))
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def test_the_office_gets_the_rotating_code_as_json_and_as_a_png(w: World) -> None:
    org = uuid.uuid4()
    activity = await w.activity(org)
    r = await w.client.get(f"{A}/{activity}/checkin-code", headers=office(w, org))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["qr_text"].startswith(f"cppcc://consultations/activities/{activity}/checkin?token=")
    png = await w.client.get(f"{A}/{activity}/checkin-code.png", headers=office(w, org))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and int(png.headers["refresh"]) >= 1
    w.clock.advance(timedelta(seconds=DEFAULT_POLICY.checkin_code_seconds))
    assert await _code(w, org, activity) != body["token"]


async def test_without_a_signing_key_check_in_is_503_not_configured(
    databases: Any, module_nats_url: str
) -> None:
    async with world(databases, module_nats_url, checkin_key=None) as bare:
        org = uuid.uuid4()
        activity = await bare.activity(org)
        r = await bare.client.get(f"{A}/{activity}/checkin-code", headers=office(bare, org))
        assert r.status_code == 503 and r.json()["code"] == "checkin.not_configured"


async def test_a_code_replayed_for_another_activity_is_refused(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    first = await w.activity(org, invitees=[member])
    second = await w.activity(org, invitees=[member])
    token = await _code(w, org, first)
    r = await w.client.post(f"{A}/{second}/checkin", json={"token": token}, headers=w.headers(member, org))
    assert r.status_code == 422 and r.json()["code"] == "checkin.code_invalid"


async def test_an_expired_code_is_refused(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[member], starts_at=w.clock.now() + timedelta(minutes=10))
    token = await _code(w, org, activity)
    w.clock.advance(
        timedelta(seconds=DEFAULT_POLICY.checkin_code_seconds + DEFAULT_POLICY.checkin_grace_seconds)
    )
    r = await w.client.post(f"{A}/{activity}/checkin", json={"token": token}, headers=w.headers(member, org))
    assert r.status_code == 422 and r.json()["code"] == "checkin.code_expired"


async def test_a_forged_code_is_refused(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[member], starts_at=w.clock.now() + timedelta(minutes=10))
    forged = checkin_domain.issue(b"not-the-key" * 3, activity, w.clock.now(), DEFAULT_POLICY).token
    r = await w.client.post(f"{A}/{activity}/checkin", json={"token": forged}, headers=w.headers(member, org))
    assert r.status_code == 422 and r.json()["code"] == "checkin.code_invalid"


async def test_a_non_invitee_is_refused_and_another_organization_sees_nothing(w: World) -> None:
    org, member, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[member], starts_at=w.clock.now() + timedelta(minutes=10))
    token = await _code(w, org, activity)
    r = await w.client.post(
        f"{A}/{activity}/checkin", json={"token": token}, headers=w.headers(stranger, org)
    )
    assert r.status_code == 403 and r.json()["code"] == "participation.not_invited"
    r = await w.client.post(
        f"{A}/{activity}/checkin", json={"token": token}, headers=w.headers(member, uuid.uuid4())
    )
    assert r.status_code == 404


async def test_a_scan_records_only_the_caller_so_a_code_cannot_be_used_for_another_person(w: World) -> None:
    org, member, absent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(
        org, invitees=[member, absent], starts_at=w.clock.now() + timedelta(minutes=10)
    )
    token = await _code(w, org, activity)
    body = {"token": token, "person_id": str(absent)}
    r = await w.client.post(f"{A}/{activity}/checkin", json=body, headers=w.headers(member, org))
    assert r.status_code == 422
    async with w.engine.connect() as conn:
        count = "SELECT count(*) FROM attendances WHERE activity_id = :a"
        assert (await conn.execute(text(count), {"a": activity})).scalar_one() == 0


async def test_check_in_is_refused_outside_its_window(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[member], starts_at=w.clock.now() + timedelta(hours=3))
    token = await _code(w, org, activity)
    r = await w.client.post(f"{A}/{activity}/checkin", json={"token": token}, headers=w.headers(member, org))
    assert r.status_code == 409 and r.json()["code"] == "checkin.closed"
    assert "opens_at" not in r.json() and "签到时间为" in r.json()["detail"]


async def test_a_cancelled_activity_takes_no_check_in(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[member], status="cancelled")
    r = await w.client.get(f"{A}/{activity}/checkin-code", headers=office(w, org))
    assert r.status_code == 409 and r.json()["code"] == "participation.activity_not_open"


@needs_record_attendance
async def test_rule_25_first_scan_arrives_a_later_code_departs_and_the_departure_is_kept(w: World) -> None:
    """The arrival and departure the scans record are what the close turns into attended minutes
    (rule 25: below the policy fraction is an absence)."""
    org, member = uuid.uuid4(), uuid.uuid4()
    starts = w.clock.now() + timedelta(minutes=10)
    activity = await w.activity(org, invitees=[member], starts_at=starts, minutes=120)
    me = w.headers(member, org)
    token = await _code(w, org, activity)
    r = await w.client.post(f"{A}/{activity}/checkin", json={"token": token}, headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["effect"] == "arrival" and r.json()["left_at"] is None
    arrived = r.json()["arrived_at"]
    again = await w.client.post(f"{A}/{activity}/checkin", json={"token": token}, headers=me)
    assert again.json()["effect"] == "repeat" and again.json()["left_at"] is None
    w.clock.set(starts + timedelta(minutes=40))
    token = await _code(w, org, activity)
    r = await w.client.post(f"{A}/{activity}/checkin", json={"token": token}, headers=me)
    assert r.json()["effect"] == "departure" and r.json()["arrived_at"] == arrived
    async with w.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT arrived_at, left_at, method FROM attendances WHERE activity_id = :a"),
                {"a": activity},
            )
        ).one()
    assert row.method == "qr" and row.left_at == starts + timedelta(minutes=40)
    assert (row.left_at - row.arrived_at) < timedelta(minutes=120) * 2 / 3


# --- speeches ----------------------------------------------------------------------------------------


async def test_an_oral_speech_is_registered_once_and_delivered_once_with_its_events(w: World) -> None:
    org, speaker, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[speaker, other])
    me = w.headers(speaker, org)
    r = await w.client.post(
        f"{A}/{activity}/speeches", json={"mode": "oral", "title": "关于养老服务"}, headers=me
    )
    assert r.status_code == 201, r.text
    speech = r.json()
    assert r.headers["etag"] == '"1"' and speech["status"] == "registered"
    again = await w.client.post(
        f"{A}/{activity}/speeches", json={"mode": "oral", "title": "再次"}, headers=me
    )
    assert again.status_code == 409 and again.json()["code"] == "speech.already_registered"
    # another invitee sees neither the speech nor it in the list; the office sees all
    assert (
        await w.client.get(f"{A}/{activity}/speeches/{speech['id']}", headers=w.headers(other, org))
    ).status_code == 404
    assert (await w.client.get(f"{A}/{activity}/speeches", headers=w.headers(other, org))).json()[
        "items"
    ] == []
    listed = (await w.client.get(f"{A}/{activity}/speeches", headers=office(w, org))).json()["items"]
    assert [s["id"] for s in listed] == [speech["id"]]
    # only the office delivers; a member (even the speaker) is 403
    assert (
        await w.client.post(f"{A}/{activity}/speeches/{speech['id']}/deliver", headers=me)
    ).status_code == 403
    r = await w.client.post(f"{A}/{activity}/speeches/{speech['id']}/deliver", headers=office(w, org))
    assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["delivered_at"]
    r = await w.client.post(f"{A}/{activity}/speeches/{speech['id']}/deliver", headers=office(w, org))
    assert r.status_code == 409 and r.json()["code"] == "speech.invalid_transition"
    delivered = await events(w.engine, "cppcc.consultation.speech_delivered.v1", uuid.UUID(speech["id"]))
    assert (
        len(delivered) == 1 and delivered[0]["person_id"] == str(speaker) and delivered[0]["mode"] == "oral"
    )
    registered = await events(w.engine, "cppcc.consultation.speech_registered.v1", uuid.UUID(speech["id"]))
    assert len(registered) == 1


async def test_a_written_speech_with_a_file_is_accepted_and_its_file_read_by_the_office(w: World) -> None:
    org, speaker, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[speaker, other])
    me = w.headers(speaker, org)
    r = await w.client.post(
        f"{A}/{activity}/speeches", json={"mode": "written", "title": "书面发言"}, headers=me
    )
    speech = r.json()["id"]
    r = await w.client.post(f"{A}/{activity}/speeches/{speech}/deliver", headers=office(w, org))
    assert r.status_code == 422 and r.json()["code"] == "speech.written_empty"
    files = f"{A}/{activity}/speeches/{speech}/attachments"
    bad = await w.client.post(
        files,
        content=b"MZ",
        headers={**me, "Content-Type": "application/x-msdownload", "X-Filename": "a.exe"},
    )
    assert bad.status_code == 415
    fake = await w.client.post(
        files, content=b"not a pdf", headers={**me, "Content-Type": "application/pdf", "X-Filename": "a.pdf"}
    )
    assert fake.status_code == 422 and fake.json()["code"] == "attachment.content_mismatch"
    name = "%E5%8F%91%E8%A8%80%E7%A8%BF.pdf"
    r = await w.client.post(
        files, content=PDF, headers={**me, "Content-Type": "application/pdf", "X-Filename": name}
    )
    assert r.status_code == 201, r.text
    assert r.json()["file_name"] == "发言稿.pdf"
    attachment = r.json()["id"]
    assert (await w.client.get(f"{files}/{attachment}", headers=w.headers(other, org))).status_code == 404
    download = await w.client.get(f"{files}/{attachment}", headers=office(w, org))
    assert download.status_code == 200 and download.content == PDF
    r = await w.client.post(f"{A}/{activity}/speeches/{speech}/deliver", headers=office(w, org))
    assert r.status_code == 200 and r.json()["status"] == "delivered"
    # a delivered speech's files no longer change
    r = await w.client.delete(f"{files}/{attachment}", headers=me)
    assert r.status_code == 409


async def test_the_speaker_edits_and_withdraws_and_the_office_declines_with_a_reason(w: World) -> None:
    org, speaker = uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[speaker])
    me = w.headers(speaker, org)
    speech = (
        await w.client.post(f"{A}/{activity}/speeches", json={"mode": "oral", "title": "初稿"}, headers=me)
    ).json()
    path = f"{A}/{activity}/speeches/{speech['id']}"
    assert (await w.client.patch(path, json={"title": "定稿"}, headers=me)).status_code == 428
    r = await w.client.patch(path, json={"title": "定稿"}, headers={**me, "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["title"] == "定稿" and r.headers["etag"] == '"2"'
    r = await w.client.post(f"{path}/withdraw", headers={**me, "If-Match": '"1"'})
    assert r.status_code == 412
    assert (await w.client.post(f"{path}/withdraw", headers=me)).json()["status"] == "withdrawn"
    # withdrawn, the member may register again; the office declines that one with a reason
    second = (
        await w.client.post(f"{A}/{activity}/speeches", json={"mode": "oral", "title": "再登记"}, headers=me)
    ).json()
    r = await w.client.post(
        f"{A}/{activity}/speeches/{second['id']}/decline", json={"reason": "时间所限"}, headers=office(w, org)
    )
    assert r.status_code == 200 and r.json()["decline_reason"] == "时间所限"


async def test_a_closed_or_cancelled_activity_takes_no_speech(w: World) -> None:
    org, speaker = uuid.uuid4(), uuid.uuid4()
    for status in ("cancelled", "closed"):
        activity = await w.activity(org, invitees=[speaker], status=status)
        r = await w.client.post(
            f"{A}/{activity}/speeches", json={"mode": "oral", "title": "题"}, headers=w.headers(speaker, org)
        )
        assert r.status_code == 409 and r.json()["code"] == "participation.activity_not_open"


# --- written consultation -------------------------------------------------------------------------------


async def test_written_consultation_takes_one_revisable_opinion_per_invitee_until_the_due_date(
    w: World,
) -> None:
    org, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[first, second], form="written")
    path = f"{A}/{activity}/written-consultation"
    due = w.clock.now() + timedelta(days=7)
    r = await w.client.put(
        path, json={"document": "关于城市更新的征求意见稿", "due_at": due.isoformat()}, headers=office(w, org)
    )
    assert r.status_code == 201 and r.json()["open"] is True
    one, two = w.headers(first, org), w.headers(second, org)
    r = await w.client.put(f"{path}/opinion", json={"text": "建议一"}, headers=one)
    assert r.status_code == 201 and r.json()["revision"] == 1
    opinion = r.json()["id"]
    r = await w.client.put(f"{path}/opinion", json={"text": "建议一（修改）"}, headers=one)
    assert r.status_code == 200 and r.json()["revision"] == 2 and r.json()["id"] == opinion
    assert (await w.client.put(f"{path}/opinion", json={"text": "建议二"}, headers=two)).status_code == 201
    # invitees see their own, the office and leaders every opinion and the count
    mine = (await w.client.get(f"{path}/opinions", headers=two)).json()["items"]
    assert [o["person_id"] for o in mine] == [str(second)]
    assert (await w.client.get(f"{path}/opinion", headers=one)).json()["text"] == "建议一（修改）"
    everyone = (await w.client.get(f"{path}/opinions", headers=office(w, org))).json()["items"]
    assert len(everyone) == 2
    leader = w.headers(org=org, roles=["leader"])
    assert (await w.client.get(path, headers=leader)).json()["opinions"] == 2
    assert (await w.client.get(path, headers=one)).json()["opinions"] is None
    submitted = await events(w.engine, "cppcc.consultation.opinion_submitted.v1", uuid.UUID(opinion))
    assert [e["revision"] for e in submitted] == [1, 2]
    # from the due date on, nothing is taken or revised, with a clear error
    w.clock.set(due)
    r = await w.client.put(f"{path}/opinion", json={"text": "迟到的意见"}, headers=one)
    assert r.status_code == 409 and r.json()["code"] == "written.closed"
    assert "截止" in r.json()["detail"]
    assert (await w.client.get(path, headers=one)).json()["open"] is False


async def test_written_consultation_needs_the_written_form_and_a_due_date_ahead(w: World) -> None:
    org = uuid.uuid4()
    forum = await w.activity(org)
    due = (w.clock.now() + timedelta(days=3)).isoformat()
    r = await w.client.put(
        f"{A}/{forum}/written-consultation", json={"document": "稿", "due_at": due}, headers=office(w, org)
    )
    assert r.status_code == 409 and r.json()["code"] == "participation.wrong_form"
    written = await w.activity(org, form="written")
    past = (w.clock.now() - timedelta(minutes=1)).isoformat()
    r = await w.client.put(
        f"{A}/{written}/written-consultation", json={"document": "稿", "due_at": past}, headers=office(w, org)
    )
    assert r.status_code == 422 and r.json()["code"] == "written.due_in_the_past"
    r = await w.client.get(f"{A}/{written}/written-consultation", headers=office(w, org))
    assert r.status_code == 404 and r.json()["code"] == "written.not_found"


# --- online deliberation ---------------------------------------------------------------------------------


async def test_online_deliberation_is_time_boxed_moderated_and_summarized_once(w: World) -> None:
    org, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[first, second], form="online")
    path = f"{A}/{activity}/deliberation"
    opens, closes = w.clock.now() + timedelta(hours=1), w.clock.now() + timedelta(days=2)
    body = {"topic": "如何推进老旧小区改造", "opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    r = await w.client.put(path, json=body, headers=office(w, org))
    assert r.status_code == 201 and r.json()["phase"] == "upcoming"
    one, two = w.headers(first, org), w.headers(second, org)
    r = await w.client.post(f"{path}/posts", json={"text": "早到的帖子"}, headers=one)
    assert r.status_code == 409 and r.json()["code"] == "deliberation.not_open"
    w.clock.set(opens)
    post = (await w.client.post(f"{path}/posts", json={"text": "建议加装电梯"}, headers=one)).json()
    reply = await w.client.post(f"{path}/posts", json={"text": "赞同", "reply_to": post["id"]}, headers=two)
    assert reply.status_code == 201 and reply.json()["reply_to"] == post["id"]
    spam = (await w.client.post(f"{path}/posts", json={"text": "广告"}, headers=two)).json()
    assert (
        await w.client.post(f"{path}/posts/{spam['id']}/hide", json={"reason": "x"}, headers=two)
    ).status_code == 403
    r = await w.client.post(
        f"{path}/posts/{spam['id']}/hide", json={"reason": "与议题无关"}, headers=office(w, org)
    )
    assert r.status_code == 200 and r.json()["status"] == "hidden"
    r = await w.client.post(f"{path}/posts", json={"text": "回复广告", "reply_to": spam["id"]}, headers=one)
    assert r.status_code == 409 and r.json()["code"] == "deliberation.reply_to_hidden"
    # cursor pages, oldest first; a hidden post shows without its text except to the office
    page = (await w.client.get(f"{path}/posts", params={"limit": 2}, headers=one)).json()
    assert [p["id"] for p in page["items"]] == [post["id"], reply.json()["id"]] and page["next_cursor"]
    rest = (await w.client.get(f"{path}/posts", params={"cursor": page["next_cursor"]}, headers=one)).json()
    assert [(p["id"], p["text"], p["hidden_reason"]) for p in rest["items"]] == [
        (spam["id"], None, "与议题无关")
    ]
    assert rest["next_cursor"] is None
    staff_view = (
        await w.client.get(f"{path}/posts", params={"cursor": page["next_cursor"]}, headers=office(w, org))
    ).json()
    assert staff_view["items"][0]["text"] == "广告"
    # the summary waits for the close, then goes once, with its event
    r = await w.client.post(f"{path}/summary", json={"summary": "综述"}, headers=office(w, org))
    assert r.status_code == 409 and r.json()["code"] == "deliberation.invalid_transition"
    w.clock.set(closes)
    assert (await w.client.post(f"{path}/posts", json={"text": "迟到"}, headers=one)).status_code == 409
    r = await w.client.post(
        f"{path}/summary", json={"summary": "委员普遍建议加装电梯"}, headers=office(w, org)
    )
    assert r.status_code == 200 and r.json()["phase"] == "summarized"
    assert (r.json()["visible_posts"], r.json()["hidden_posts"]) == (2, 1)
    assert (
        await w.client.post(f"{path}/summary", json={"summary": "再写"}, headers=office(w, org))
    ).status_code == 409
    closed = await events(w.engine, "cppcc.consultation.deliberation_closed.v1", activity)
    assert len(closed) == 1 and sorted(closed[0]["participants"]) == sorted([str(first), str(second)])


async def test_online_deliberation_needs_the_online_form(w: World) -> None:
    org = uuid.uuid4()
    forum = await w.activity(org)
    opens, closes = w.clock.now() + timedelta(hours=1), w.clock.now() + timedelta(days=2)
    body = {"topic": "题", "opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    r = await w.client.put(f"{A}/{forum}/deliberation", json=body, headers=office(w, org))
    assert r.status_code == 409 and r.json()["code"] == "participation.wrong_form"


# --- the member's calendar ---------------------------------------------------------------------------------


async def test_my_upcoming_activities_are_mine_notified_and_not_over_soonest_first(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    now = w.clock.now()
    later = await w.activity(org, invitees=[member], starts_at=now + timedelta(days=9), title="后")
    sooner = await w.activity(org, invitees=[member], starts_at=now + timedelta(days=2), title="先")
    await w.activity(org, invitees=[member], starts_at=now - timedelta(days=2), title="已过")
    await w.activity(org, invitees=[member], starts_at=now + timedelta(days=3), status="cancelled")
    await w.activity(org, invitees=[member], starts_at=now + timedelta(days=3), status="scheduled")
    await w.activity(org, invitees=[uuid.uuid4()], starts_at=now + timedelta(days=3), title="未邀请")
    me = w.headers(member, org)
    first = (
        await w.client.get("/api/v1/consultations/me/activities", params={"limit": 1}, headers=me)
    ).json()
    assert [e["activity_id"] for e in first["items"]] == [str(sooner)] and first["next_cursor"]
    second = (
        await w.client.get(
            "/api/v1/consultations/me/activities", params={"cursor": first["next_cursor"]}, headers=me
        )
    ).json()
    assert [e["activity_id"] for e in second["items"]] == [str(later)] and second["next_cursor"] is None


async def test_the_calendar_feed_is_behind_a_secret_link_that_rotates_and_is_revoked(w: World) -> None:
    org, member = uuid.uuid4(), uuid.uuid4()
    activity = await w.activity(org, invitees=[member], title="双月协商座谈会：城市更新")
    cancelled = await w.activity(org, invitees=[member], status="cancelled")
    me = w.headers(member, org)
    feed = "/api/v1/consultations/me/calendar-feed"
    assert (await w.client.get(feed, headers=me)).json()["active"] is False
    made = await w.client.post(feed, headers=me)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    link = made.json()
    r = await w.client.get(link["path"])  # no token: the secret is the credential
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    ics = r.text
    assert "BEGIN:VCALENDAR" in ics and f"UID:{activity}@consultation.cppcc" in ics
    assert "城市更新" in ics and "STATUS:CANCELLED" in ics and f"UID:{cancelled}@consultation.cppcc" in ics
    # only the hash is kept
    async with w.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT secret_sha256 FROM calendar_feeds WHERE person_id = :p"), {"p": member}
            )
        ).scalar_one()
    assert link["secret"] not in stored and len(stored) == 64
    rotated = (await w.client.post(feed, headers=me)).json()
    assert (await w.client.get(link["path"])).status_code == 404
    assert (await w.client.get(rotated["path"])).status_code == 200
    assert (await w.client.get(feed, headers=me)).json()["active"] is True
    assert (await w.client.delete(feed, headers=me)).status_code == 204
    gone = await w.client.get(rotated["path"])
    assert gone.status_code == 404 and gone.json()["code"] == "calendar.feed_not_found"
    assert (await w.client.delete(feed, headers=me)).status_code == 404
    assert (await w.client.get("/api/v1/consultations/calendar-feeds/x.ics")).status_code == 422
