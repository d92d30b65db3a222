"""Outcomes through the API on a real database and NATS, the service's clock fixed (FakeClock):
the office drafts and sends an outcome, leaders' instructions and the responsible department's
feedback are recorded, the feedback deadline fires exactly once per outcome and due date (rule 22,
two racing replicas too), a unit sees only its own outcomes (rule 28), and the year-end tracking
report lists every outcome with its state, as JSON and as .xlsx."""

import io
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from consultation_svc.main import create_app
from consultation_svc.outcomes.scanners import FeedbackDeadlines
from consultation_svc.outcomes.spreadsheet import HEADER
from consultation_svc.settings import Settings
from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.scanners import race
from cppcc_common.testing.tokens import TestIssuer

from .outcomes_support import MIGRATIONS, PDF, draft, events, insert_activity, insert_unit, recipients, sent

# 10:00 on Monday 30 November 2026 in Shanghai: sent now, the feedback is due on 28 February 2027
# (three calendar months; February is shorter) and overdue from 00:00 on 1 March in Shanghai.
BASE = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
DUE = "2027-02-28"
OVERDUE_AT = datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
CLOCK = FakeClock(BASE)
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
UNIT, OTHER_UNIT = uuid.uuid4(), uuid.uuid4()
ORGANIZER = uuid.uuid4()
Headers = Callable[[str], dict[str, str]]
OVERDUE = "cppcc.consultation.feedback_overdue.v1"


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "consultation"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    await insert_unit(engine, UNIT, ORG, "市发展改革委")
    await insert_unit(engine, OTHER_UNIT, ORG, "市财政局")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def who(issuer: TestIssuer) -> Headers:
    at = int(BASE.timestamp())
    callers: dict[str, dict[str, Any]] = {
        "staff": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
        "staff_proposals": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "leader": {"sub": uuid.uuid4(), "org": ORG, "roles": ["leader"]},
        "unit": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": UNIT},
        "partner": {"sub": uuid.uuid4(), "org": ORG, "roles": ["partner"], "unit": UNIT},
        "other_unit": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": OTHER_UNIT},
        "other_org_staff": {
            "sub": uuid.uuid4(),
            "org": OTHER_ORG,
            "roles": ["staff"],
            "scopes": ["consultation"],
        },
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 800 * 86400, **kw) for name, kw in callers.items()}
    return lambda name: made[name]


@pytest.fixture(autouse=True)
def _clock() -> None:
    CLOCK.set(BASE)


async def _activity(db: AsyncEngine, **kw: Any) -> str:
    return await insert_activity(db, ORG, BASE - timedelta(days=3), organizer=ORGANIZER, **kw)


async def _scan(settings: Settings, replicas: int = 1) -> int:
    return await race(
        settings.database_url, lambda s: FeedbackDeadlines(s, CLOCK, source=settings.source), replicas
    )


def _url(outcome: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/consultations/outcomes/{outcome['id']}{tail}"


async def test_the_office_drafts_edits_and_sends_an_outcome_to_its_recipients(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    activity = await _activity(db)
    outcome = await draft(client, who("staff"), activity, UNIT, kind="minutes", text="")
    assert outcome["status"] == "draft" and outcome["year"] == 2026 and outcome["version"] == 1
    assert outcome["responsible_unit_id"] == str(UNIT) and outcome["actions"] == ["edit", "submit"]
    empty = await client.post(_url(outcome, "/submit"), headers=who("staff"))
    assert empty.status_code == 422 and empty.json()["code"] == "outcome.text_required"
    stale = await client.patch(_url(outcome), json={"text": "x"}, headers={**who("staff"), "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.json()["code"] == "outcome.version_mismatch"
    edited = await client.patch(
        _url(outcome),
        json={"kind": "recommendation", "text": "建议：一、简化审批；二、减轻企业负担。"},
        headers={**who("staff"), "If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["kind"] == "recommendation" and edited.headers["ETag"] == '"2"'
    submitted = await client.post(_url(outcome, "/submit"), headers={**who("staff"), "If-Match": '"2"'})
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert (
        body["status"] == "awaiting_feedback" and body["feedback_due_on"] == DUE and body["overdue"] is False
    )
    assert [r["name"] for r in body["recipients"]] == ["中共某市委", "某市人民政府", "市发展改革委"]
    (event,) = await events(db, "cppcc.consultation.outcome_submitted.v1", outcome["id"])
    assert event["unit_id"] == str(UNIT) and event["organizer_person_id"] == str(ORGANIZER)
    assert event["feedback_due_on"] == DUE and event["responsible"] == "市发展改革委"
    again = await client.post(_url(outcome, "/submit"), headers=who("staff"))
    assert again.status_code == 409 and again.json()["code"] == "outcome.invalid_transition"
    late_edit = await client.patch(
        _url(outcome), json={"title": "改"}, headers={**who("staff"), "If-Match": '"3"'}
    )
    assert late_edit.status_code == 409


async def test_rule_22_an_organizations_policy_sets_the_feedback_months(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine
) -> None:
    org = uuid.uuid4()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO consultation_policies (org_id, values, updated_at, version)"
                " VALUES (:o, CAST(:v AS jsonb), :t, 1)"
            ),
            {"o": org, "v": '{"feedback_due_months": 2}', "t": BASE},
        )
    at = int(BASE.timestamp())
    staff = issuer.headers(iat=at - 60, exp=at + 86400, org=org, roles=["staff"], scopes=["consultation"])
    outcome = await sent(client, staff, await insert_activity(db, org, BASE), None)
    assert outcome["feedback_due_on"] == "2027-01-30" and outcome["responsible_unit_id"] is None


async def test_rule_22_feedback_recorded_by_the_responsible_unit_ends_the_wait(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings
) -> None:
    outcome = await sent(client, who("staff"), await _activity(db), UNIT)
    CLOCK.advance(timedelta(days=20))
    other = await client.post(
        _url(outcome, "/feedback"),
        json={"text": "已研究", "received_on": "2026-12-20"},
        headers=who("other_unit"),
    )
    assert other.status_code == 404  # rule 28: another unit does not see it
    future = await client.post(
        _url(outcome, "/feedback"), json={"text": "已研究", "received_on": "2027-01-20"}, headers=who("unit")
    )
    assert future.status_code == 422 and future.json()["code"] == "outcome.date_in_the_future"
    before = await client.post(
        _url(outcome, "/feedback"), json={"text": "已研究", "received_on": "2026-11-01"}, headers=who("unit")
    )
    assert before.status_code == 422 and before.json()["code"] == "outcome.date_before_sending"
    r = await client.post(
        _url(outcome, "/feedback"),
        json={"text": "已采纳，列入明年工作要点", "received_on": "2026-12-18"},
        headers=who("unit"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "feedback_received" and body["feedback"]["recorded_by_unit"] is True
    assert body["feedback"]["unit_id"] == str(UNIT)
    (event,) = await events(db, "cppcc.consultation.feedback_received.v1", outcome["id"])
    assert event["unit_id"] == str(UNIT) and event["late"] is False and event["received_on"] == "2026-12-18"
    twice = await client.post(
        _url(outcome, "/feedback"),
        json={"text": "再次反馈", "received_on": "2026-12-19"},
        headers=who("staff"),
    )
    assert twice.status_code == 409
    CLOCK.set(OVERDUE_AT + timedelta(days=1))
    await _scan(settings)
    assert await events(db, OVERDUE, outcome["id"]) == []  # never overdue once the feedback is in


async def test_rule_22_overdue_fires_once_per_outcome_and_due_date_and_again_once_for_a_new_date(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings
) -> None:
    outcome = await sent(client, who("staff"), await _activity(db), UNIT)
    CLOCK.set(OVERDUE_AT - timedelta(seconds=1))  # the last second of the due date in Shanghai
    await _scan(settings)
    assert await events(db, OVERDUE, outcome["id"]) == []
    CLOCK.set(OVERDUE_AT)
    await _scan(settings)
    (event,) = await events(db, OVERDUE, outcome["id"])
    assert event == {
        "outcome_id": outcome["id"],
        "activity_id": outcome["activity_id"],
        "org_id": str(ORG),
        "title": outcome["title"],
        "unit_id": str(UNIT),
        "responsible": "市发展改革委",
        "organizer_person_id": str(ORGANIZER),
        "feedback_due_on": DUE,
    }
    CLOCK.advance(timedelta(days=30))
    await _scan(settings)
    assert len(await events(db, OVERDUE, outcome["id"])) == 1  # once per due date, however long it waits
    read = (await client.get(_url(outcome), headers=who("staff"))).json()
    assert read["status"] == "awaiting_feedback" and read["overdue"] is True  # still awaiting (rule 22)
    moved = await client.put(
        _url(outcome, "/feedback-due-date"),
        json={"feedback_due_on": "2027-04-30", "reason": "部门申请延期，经秘书长同意"},
        headers=who("staff"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["feedback_due_on"] == "2027-04-30" and moved.json()["overdue"] is False
    back = await client.put(
        _url(outcome, "/feedback-due-date"),
        json={"feedback_due_on": DUE, "reason": "更正"},
        headers=who("staff"),
    )
    assert back.status_code == 200, back.text
    await _scan(settings)
    assert len(await events(db, OVERDUE, outcome["id"])) == 1  # the date that fired does not fire again
    again = await client.put(
        _url(outcome, "/feedback-due-date"),
        json={"feedback_due_on": "2027-04-30", "reason": "部门申请延期"},
        headers=who("staff"),
    )
    assert again.status_code == 200, again.text
    CLOCK.set(datetime(2027, 4, 30, 16, 0, tzinfo=UTC))
    await _scan(settings)
    await _scan(settings)
    fired = await events(db, OVERDUE, outcome["id"])
    assert [e["feedback_due_on"] for e in fired] == [DUE, "2027-04-30"]  # the new date, once
    late = await client.post(
        _url(outcome, "/feedback"), json={"text": "已落实", "received_on": "2027-05-01"}, headers=who("staff")
    )
    assert late.status_code == 200 and late.json()["feedback"]["recorded_by_unit"] is False
    (received,) = await events(db, "cppcc.consultation.feedback_received.v1", outcome["id"])
    assert received["late"] is True


async def test_rule_22_two_replicas_racing_fire_each_overdue_exactly_once(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings
) -> None:
    activity = await _activity(db)
    outcomes = [await sent(client, who("staff"), activity, UNIT) for _ in range(6)]
    CLOCK.set(OVERDUE_AT + timedelta(hours=1))
    await _scan(settings, replicas=2)
    await _scan(settings, replicas=2)
    for outcome in outcomes:
        assert len(await events(db, OVERDUE, outcome["id"])) == 1


async def test_rule_28_a_unit_sees_only_the_sent_outcomes_it_is_responsible_for(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    activity = await _activity(db)
    mine = await sent(client, who("staff"), activity, UNIT)
    theirs = await sent(client, who("staff"), activity, OTHER_UNIT)
    drafted = await draft(client, who("staff"), activity, UNIT)

    async def listed(caller: str) -> set[str]:
        r = await client.get(
            "/api/v1/consultations/outcomes", params={"activity_id": activity}, headers=who(caller)
        )
        assert r.status_code == 200, r.text
        return {o["id"] for o in r.json()["items"]}

    assert await listed("staff") == {mine["id"], theirs["id"], drafted["id"]}
    assert await listed("leader") == {mine["id"], theirs["id"]}  # not the office's drafts
    assert await listed("unit") == await listed("partner") == {mine["id"]}
    assert await listed("other_unit") == {theirs["id"]}
    assert await listed("staff_proposals") == set()
    assert await listed("other_org_staff") == set()
    assert (await client.get(_url(theirs), headers=who("unit"))).status_code == 404
    assert (await client.get(_url(drafted), headers=who("unit"))).status_code == 404
    assert (await client.get(_url(mine), headers=who("other_org_staff"))).status_code == 404
    assert (await client.get(_url(mine), headers=who("partner"))).status_code == 200


async def test_instructions_and_follow_ups_are_recorded_on_a_sent_outcome(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    activity = await _activity(db)
    drafted = await draft(client, who("staff"), activity, UNIT)
    early = await client.post(
        _url(drafted, "/instructions"),
        json={"level": "municipal", "leader": "市长李某", "text": "请研究", "instructed_on": "2026-11-30"},
        headers=who("staff"),
    )
    assert early.status_code == 409  # a draft has no instructions yet
    outcome = await sent(client, who("staff"), activity, UNIT)
    CLOCK.advance(timedelta(days=5))
    r = await client.post(
        _url(outcome, "/instructions"),
        json={
            "level": "municipal",
            "leader": "市委书记张某",
            "text": "请市发改委认真研究吸纳",
            "instructed_on": "2026-12-02",
        },
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text
    (event,) = await events(db, "cppcc.consultation.instruction_recorded.v1", outcome["id"])
    assert (
        event["leader"] == "市委书记张某" and event["level"] == "municipal" and event["unit_id"] == str(UNIT)
    )
    note = await client.post(
        _url(outcome, "/follow-ups"), json={"note": "电话督促市发改委"}, headers=who("staff")
    )
    assert note.status_code == 201, note.text
    leader_note = await client.post(_url(outcome, "/follow-ups"), json={"note": "x"}, headers=who("leader"))
    assert leader_note.status_code == 403
    read = (await client.get(_url(outcome), headers=who("leader"))).json()
    assert [i["leader"] for i in read["instructions"]] == ["市委书记张某"]
    assert [f["note"] for f in read["follow_ups"]] == ["电话督促市发改委"]


async def test_an_outcome_belongs_to_an_activity_of_the_organization_that_took_place(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    foreign = await insert_activity(db, OTHER_ORG, BASE)
    r = await client.post(
        "/api/v1/consultations/outcomes",
        json={"activity_id": foreign, "kind": "brief", "title": "专报"},
        headers=who("staff"),
    )
    assert r.status_code == 404 and r.json()["code"] == "outcome.activity_not_found"
    cancelled = await _activity(db, status="cancelled")
    r = await client.post(
        "/api/v1/consultations/outcomes",
        json={"activity_id": cancelled, "kind": "brief", "title": "专报"},
        headers=who("staff"),
    )
    assert r.status_code == 409 and r.json()["code"] == "outcome.activity_cancelled"
    stranger = uuid.uuid4()
    r = await client.post(
        "/api/v1/consultations/outcomes",
        json={
            "activity_id": await _activity(db),
            "kind": "brief",
            "title": "专报",
            "recipients": recipients(stranger),
        },
        headers=who("staff"),
    )
    assert r.status_code == 422 and r.json()["code"] == "outcome.unknown_unit"


async def test_attachments_of_a_draft_are_read_by_whoever_reads_the_outcome(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    outcome = await draft(client, who("staff"), await _activity(db), UNIT)
    upload = {
        **who("staff"),
        "Content-Type": "application/pdf",
        "X-Filename": "%E5%BB%BA%E8%AE%AE%E6%A1%88.pdf",
    }
    r = await client.post(_url(outcome, "/attachments"), content=PDF, headers=upload)
    assert r.status_code == 201, r.text
    attachment = r.json()
    assert attachment["file_name"] == "建议案.pdf"
    fake = await client.post(_url(outcome, "/attachments"), content=b"not a pdf", headers=upload)
    assert fake.status_code == 422
    exe = await client.post(
        _url(outcome, "/attachments"),
        content=b"MZ",
        headers={**upload, "Content-Type": "application/x-msdownload"},
    )
    assert exe.status_code == 415
    await client.post(_url(outcome, "/submit"), headers=who("staff"))
    got = await client.get(_url(outcome, f"/attachments/{attachment['id']}"), headers=who("unit"))
    assert got.status_code == 200 and got.content == PDF
    assert "filename*=UTF-8''%E5%BB%BA" in got.headers["Content-Disposition"]
    other = await client.get(_url(outcome, f"/attachments/{attachment['id']}"), headers=who("other_unit"))
    assert other.status_code == 404
    late = await client.post(_url(outcome, "/attachments"), content=PDF, headers=upload)
    assert late.status_code == 409  # the outcome as sent is fixed
    gone = await client.delete(_url(outcome, f"/attachments/{attachment['id']}"), headers=who("staff"))
    assert gone.status_code == 409


async def test_the_year_end_tracking_report_lists_every_outcome_with_its_state_as_json_and_xlsx(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine
) -> None:
    org = uuid.uuid4()
    unit = uuid.uuid4()
    await insert_unit(db, unit, org, "市住建局")
    at = int(BASE.timestamp())
    staff = issuer.headers(
        iat=at - 60, exp=at + 800 * 86400, org=org, roles=["staff"], scopes=["consultation"]
    )
    leader = issuer.headers(iat=at - 60, exp=at + 800 * 86400, org=org, roles=["leader"])
    unit_user = issuer.headers(iat=at - 60, exp=at + 800 * 86400, org=org, roles=["unit_user"], unit=unit)
    forum = await insert_activity(
        db, org, datetime(2026, 6, 10, 2, 0, tzinfo=UTC), title="双月协商座谈会：老旧小区改造"
    )
    visit = await insert_activity(db, org, datetime(2026, 9, 1, 2, 0, tzinfo=UTC), title="专题视察：垃圾分类")
    # 23:00 on 31 December 2025 and 00:30 on 1 January 2027 in Shanghai: the years of their outcomes.
    eve = await insert_activity(db, org, datetime(2025, 12, 31, 15, 0, tzinfo=UTC), title="跨年活动")
    new_year = await insert_activity(db, org, datetime(2026, 12, 31, 16, 30, tzinfo=UTC), title="新年活动")
    await draft(client, staff, eve, None)
    await draft(client, staff, new_year, None)
    answered = await sent(client, staff, forum, unit)
    overdue = await sent(client, staff, visit, unit)
    drafted = await draft(client, staff, visit, None, kind="minutes", title="=cmd|' /C calc'!A0")
    await client.post(
        _url(answered, "/instructions"),
        json={
            "level": "municipal",
            "leader": "市长李某",
            "text": "请认真研究",
            "instructed_on": "2026-11-30",
        },
        headers=staff,
    )
    CLOCK.set(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    await client.post(
        _url(answered, "/feedback"), json={"text": "已采纳", "received_on": "2026-12-20"}, headers=unit_user
    )
    CLOCK.set(datetime(2027, 3, 10, 2, 0, tzinfo=UTC))  # ten days past the second's due date
    seen = (await client.get("/api/v1/consultations/outcome-tracking/2026", headers=leader)).json()
    assert [row["outcome_id"] for row in seen["outcomes"]] == [answered["id"], overdue["id"]]  # no drafts
    r = await client.get("/api/v1/consultations/outcome-tracking/2026", headers=staff)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["total"], report["awaiting_feedback"], report["overdue"], report["feedback_received"]) == (
        3,
        1,
        1,
        1,
    )
    rows = {row["outcome_id"]: row for row in report["outcomes"]}
    assert [row["outcome_id"] for row in report["outcomes"]] == [answered["id"], overdue["id"], drafted["id"]]
    assert rows[answered["id"]]["status"] == "feedback_received" and rows[answered["id"]]["days_overdue"] == 0
    assert rows[answered["id"]]["instructions"][0]["leader"] == "市长李某"
    assert rows[overdue["id"]]["days_overdue"] == 10 and rows[overdue["id"]]["feedback_due_on"] == DUE
    assert rows[drafted["id"]]["status"] == "draft"
    for year in (2025, 2027):
        other_year = (
            await client.get(f"/api/v1/consultations/outcome-tracking/{year}", headers=staff)
        ).json()
        assert other_year["total"] == 1 and other_year["outcomes"][0]["status"] == "draft"
    assert (
        await client.get("/api/v1/consultations/outcome-tracking/2026", headers=unit_user)
    ).status_code == 403

    x = await client.get("/api/v1/consultations/outcome-tracking/2026/workbook", headers=staff)
    assert x.status_code == 200, x.text
    assert x.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(values[0]) == HEADER and HEADER[:5] == (
        "序号",
        "协商活动",
        "活动日期",
        "成果类型",
        "成果标题",
    )
    assert len(values) == 4
    assert (
        values[1][1] == "双月协商座谈会：老旧小区改造"
        and values[1][3] == "建议案"
        and values[1][12] == "已反馈"
    )
    assert "市长李某" in values[1][8] and values[1][11] == "已采纳"
    assert values[2][12] == "待反馈" and values[2][13] == 10 and values[2][9] == DUE
    assert values[3][4] == "=cmd|' /C calc'!A0" and values[3][12] == "起草中"  # text, never a formula
