"""The duty ledger through its real path: events on JetStream → consumer → ledger → 成绩单 API."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text

from cppcc_common.change import new_traceparent, system_change, trace_id_of
from cppcc_common.contracts.consultation import (
    AbsenceRecordedV1,
    ActivityKind,
    AttendanceRecordedV1,
    LeaveRefusedV1,
)
from cppcc_common.contracts.proposal import (
    AdoptionLevel,
    AdoptionMode,
    OpinionAdoptedV1,
    OpinionSubmittedV1,
    ProposalFiledV1,
    ProposalSubmittedV1,
)
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.events import EventData, make_event, parse_event
from member_svc.directory.models import Member, Sector, Term
from member_svc.duty.models import ScoringTable
from member_svc.duty.policy import DutyPolicy
from member_svc.duty.service import ingest
from member_svc.people.service import ensure_organization, register_person
from member_svc.settings import Settings

from .conftest import seeding

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
YEAR = 2026
WHEN = datetime(YEAR, 3, 5, 2, 0, tzinfo=UTC)
PASSWORD = "Passw0rd-丁"
IDS = {
    k: uuid.uuid4()
    for k in ("plain", "standing", "cosigner", "staff", "outsider", "other_staff", "foreigner")
}
PHONES = {k: f"135000000{i:02d}" for i, k in enumerate(IDS)}
SECTOR_A, SECTOR_B, TERM, OTHER_TERM = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
# The organization's own table from 2023: a provincial adoption is worth 8, so the adoption level
# shows in the points (rule 27) and the opinions cap of 15 is not what the rule-27 test sees.
TABLE_2023 = {"opinion_adopted_points_by_level": {"provincial": 8}, "opinions_max": 100}


@pytest.fixture(scope="module")
async def world(settings: Settings, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    engine = create_engine(settings.database_url, pool_size=2)
    async with session_scope(create_sessionmaker(engine)) as session:
        await ensure_organization(seeding(session), id=ORG, name="戊市政协", level="municipal")
        await ensure_organization(seeding(session), id=OTHER_ORG, name="己市政协", level="municipal")
        session.add(
            Term(id=TERM, org_id=ORG, number=15, starts_on=date(2023, 1, 1), ends_on=date(2027, 12, 31))
        )
        session.add(
            Term(
                id=OTHER_TERM,
                org_id=OTHER_ORG,
                number=8,
                starts_on=date(2023, 1, 1),
                ends_on=date(2027, 12, 31),
            )
        )
        session.add(
            ScoringTable(
                id=uuid.uuid4(),
                org_id=ORG,
                effective_from=date(2023, 1, 1),
                values=DutyPolicy.from_stored(TABLE_2023).model_dump(mode="json"),
                created_at=WHEN,
                created_by=None,
            )
        )
        session.add_all(
            [Sector(id=SECTOR_A, org_id=ORG, name="经济界"), Sector(id=SECTOR_B, org_id=ORG, name="教育界")]
        )
        for who, pid in IDS.items():
            roles = {"staff": ["staff"], "other_staff": ["staff"]}.get(who, ["member"])
            await register_person(
                seeding(session),
                id=pid,
                org_id=OTHER_ORG if who in ("other_staff", "foreigner") else ORG,
                name=who,
                phone=PHONES[who],
                password=PASSWORD,
                roles=roles,
                scopes=["members"] if "staff" in who else [],
            )
        await session.flush()
        for who, sector in (
            ("plain", SECTOR_A),
            ("standing", SECTOR_A),
            ("cosigner", SECTOR_B),
            ("foreigner", None),  # another organization's member: never on this one's lists
        ):
            session.add(
                Member(
                    id=uuid.uuid4(),
                    org_id=OTHER_ORG if who == "foreigner" else ORG,
                    term_id=OTHER_TERM if who == "foreigner" else TERM,
                    person_id=IDS[who],
                    sector_id=sector,
                    party="无党派",
                    is_standing=who == "standing",
                    status="active",
                    version=1,
                )
            )
    await engine.dispose()
    tokens = {}
    for who, phone in PHONES.items():
        r = await client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
        tokens[who] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return tokens


async def _publish(settings: Settings, *payloads: EventData, repeat: bool = False) -> list[uuid.UUID]:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    ids = []
    for data in payloads:
        event = make_event(data, source="/test", subject=uuid.uuid4(), orgid=data.org_id)  # type: ignore[attr-defined]
        ids.append(event.id)
        for copy in range(2 if repeat else 1):
            await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}-{copy}"})
    await nc.close()
    return ids


async def _ledger_has(settings: Settings, event_ids: list[uuid.UUID]) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        for _ in range(200):
            async with engine.connect() as conn:
                seen = (
                    await conn.execute(
                        text("SELECT count(*) FROM inbox WHERE event_id = ANY(:ids)"), {"ids": event_ids}
                    )
                ).scalar()
            if seen == len(event_ids):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("events not consumed in time")
    finally:
        await engine.dispose()


async def _record(client: httpx.AsyncClient, headers: dict[str, str], who: str | None = None) -> Any:
    path = "/api/v1/duty/records/me" if who is None else f"/api/v1/duty/records/{IDS[who]}"
    r = await client.get(path, params={"year": YEAR}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _submitted(first: str, cosigners: list[str] = ()) -> ProposalSubmittedV1:  # type: ignore[assignment]
    return _submitted_in(ORG, first, cosigners)


def _submitted_in(org: uuid.UUID, first: str, cosigners: list[str] = ()) -> ProposalSubmittedV1:  # type: ignore[assignment]
    return ProposalSubmittedV1(
        proposal_id=uuid.uuid4(),
        org_id=org,
        title="t",
        kind="ordinary",
        first_proposer_id=IDS[first],
        cosigner_ids=[IDS[c] for c in cosigners],
        submitted_at=WHEN,
        version=2,
    )


async def _replay(settings: Settings, data: EventData, event_id: uuid.UUID) -> None:
    """Runs an event through the ledger again past the inbox (as a replayed dead letter would)."""
    event = make_event(data, source="/test", subject=uuid.uuid4(), orgid=ORG)
    envelope, parsed = parse_event(event.model_copy(update={"id": event_id}).to_json())
    engine = create_engine(settings.database_url, pool_size=1)
    async with session_scope(create_sessionmaker(engine)) as session:
        await ingest(system_change(session, now=WHEN, source="/member-svc"), envelope, parsed)
    await engine.dispose()


async def test_rule_23_points_come_from_the_table_once_per_event_with_caps(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    submitted = _submitted("plain")
    [submitted_id] = await _publish(settings, submitted, repeat=True)  # delivered twice
    await _ledger_has(settings, [submitted_id])
    await _replay(settings, submitted, submitted_id)  # and replayed past the inbox
    record = await _record(client, world["plain"])
    assert record["categories"]["proposals"] == "10.00"  # not 20: below the cap of 25, so a double shows
    assert len([e for e in record["entries"] if e["category"] == "proposals"]) == 1
    filed = ProposalFiledV1(
        proposal_id=submitted.proposal_id,
        org_id=ORG,
        title="t",
        first_proposer_id=IDS["plain"],
        is_joint=False,
        filed_at=WHEN,
        version=3,
    )
    await _ledger_has(settings, await _publish(settings, filed, repeat=True))
    record = await _record(client, world["plain"])
    assert record["categories"]["proposals"] == "25.00"  # 10 + 15
    assert len([e for e in record["entries"] if e["category"] == "proposals"]) == 2
    assert all(e["source_event_id"] for e in record["entries"])
    # Another submitted-and-filed proposal would give 25 more: the yearly cap keeps it at 25.
    more = _submitted("plain")
    await _ledger_has(
        settings,
        await _publish(
            settings,
            more,
            ProposalFiledV1(
                proposal_id=more.proposal_id,
                org_id=ORG,
                title="t",
                first_proposer_id=IDS["plain"],
                is_joint=False,
                filed_at=WHEN,
                version=3,
            ),
        ),
    )
    assert (await _record(client, world["plain"]))["categories"]["proposals"] == "25.00"


async def test_a_joint_proposal_splits_its_points(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    await _ledger_has(settings, await _publish(settings, _submitted("standing", ["cosigner"])))
    standing = await _record(client, world["standing"])
    cosigner = await _record(client, world["cosigner"])
    assert standing["categories"]["proposals"] == "5.00" and cosigner["categories"]["proposals"] == "5.00"


async def test_people_who_are_not_members_get_no_entries(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    await _ledger_has(settings, await _publish(settings, _submitted("outsider")))
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                text("SELECT count(*) FROM ledger_entries WHERE person_id = :p"), {"p": IDS["outsider"]}
            )
        ).scalar()
    await engine.dispose()
    assert count == 0


def _absence(who: str, kind: ActivityKind, excused: bool = False) -> AbsenceRecordedV1:
    return AbsenceRecordedV1(
        activity_id=uuid.uuid4(),
        org_id=ORG,
        person_id=IDS[who],
        activity_kind=kind,
        occurred_at=WHEN,
        excused=excused,
    )


async def _alerts(settings: Settings) -> list[str]:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        alerts = await conn.execute(
            text("SELECT threshold FROM exit_review_alerts WHERE person_id = :p"), {"p": IDS["standing"]}
        )
        out = list(alerts.scalars())
    await engine.dispose()
    return out


async def test_rule_24_refused_leave_is_unexcused_and_the_exit_review_alert_is_raised_once(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    activity = uuid.uuid4()
    refused = LeaveRefusedV1(
        leave_id=uuid.uuid4(),
        activity_id=activity,
        org_id=ORG,
        person_id=IDS["standing"],
        activity_kind=ActivityKind.PLENARY,
        occurred_at=WHEN,
        decided_at=WHEN,
        reason="会议重要",
    )
    await _ledger_has(settings, await _publish(settings, refused))  # alone: nothing else to hide behind
    record = await _record(client, world["standing"])
    assert record["categories"]["meetings"] == "0.00"  # unexcused plenary absence: 0 of 50 (excused: 30)
    assert await _alerts(settings) == []
    # The refused leave is the first of the two unexcused absences that call for exit review.
    await _ledger_has(settings, await _publish(settings, _absence("standing", ActivityKind.PLENARY)))
    assert await _alerts(settings) == ["unexcused_plenary_absences"]
    await _ledger_has(settings, await _publish(settings, _absence("standing", ActivityKind.PLENARY)))
    alerts = await _alerts(settings)
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        events = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM outbox WHERE subject = 'cppcc.member.exit_review_required.v1' AND payload LIKE :p"
                ),
                {"p": f"%{IDS['standing']}%"},
            )
        ).scalar()
    await engine.dispose()
    assert alerts == ["unexcused_plenary_absences"] and events == 1  # three absences, one crossing, one alert


async def test_an_exit_review_event_carries_the_trace_of_the_event_that_caused_it(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    """Two unexcused plenary absences, each under its own trace: the exit-review event the second
    one causes (through the consumer's Change) carries the second one's trace id."""
    traces = [new_traceparent(), new_traceparent()]
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    ids = []
    for traceparent in traces:
        data = _absence("foreigner", ActivityKind.PLENARY).model_copy(update={"org_id": OTHER_ORG})
        event = make_event(
            data, source="/test", subject=uuid.uuid4(), orgid=OTHER_ORG, traceparent=traceparent
        )
        await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
        ids.append(event.id)
        await _ledger_has(settings, [event.id])  # in order: the second is the one that crosses
    await nc.close()
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        payloads = (
            await conn.execute(
                text(
                    "SELECT payload FROM outbox WHERE subject = 'cppcc.member.exit_review_required.v1' AND payload LIKE :p"
                ),
                {"p": f"%{IDS['foreigner']}%"},
            )
        ).scalars()
        [staged] = [json.loads(p) for p in payloads]
    await engine.dispose()
    assert trace_id_of(staged["traceparent"]) == trace_id_of(traces[1])
    assert staged["traceparent"] != traces[1]  # a child span of it, not the same span


async def test_rule_25_attending_less_than_two_thirds_is_an_absence(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    short = AttendanceRecordedV1(
        activity_id=uuid.uuid4(),
        org_id=ORG,
        person_id=IDS["cosigner"],
        activity_kind=ActivityKind.MEETING,
        occurred_at=WHEN,
        scheduled_minutes=180,
        attended_minutes=100,
    )
    await _ledger_has(settings, await _publish(settings, short))
    record = await _record(client, world["cosigner"])
    assert record["categories"]["meetings"] == "45.00"  # 50 − 5 for an unexcused absence
    assert any(e["rule"] == "meetings.meeting.unexcused_absence" for e in record["entries"])


async def test_rule_27_adoption_level_is_scored_from_the_report_record(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    report = uuid.uuid4()
    submitted = OpinionSubmittedV1(
        report_id=report, org_id=ORG, author_id=IDS["cosigner"], title="t", submitted_at=WHEN, version=1
    )

    def adopted(level: AdoptionLevel, version: int) -> OpinionAdoptedV1:
        return OpinionAdoptedV1(
            report_id=report,
            org_id=ORG,
            author_id=IDS["cosigner"],
            adoption_level=level,
            adoption_mode=AdoptionMode.SINGLE,
            adopted_at=WHEN,
            version=version,
        )

    # Adopted by the city (5), then by the province (8 in this organization's table).
    events = (submitted, adopted(AdoptionLevel.MUNICIPAL, 2), adopted(AdoptionLevel.PROVINCIAL, 3))
    await _ledger_has(settings, await _publish(settings, *events))
    # 10 + 8: the highest level, once (not 10 + 5, not 10 + 5 + 8)
    assert (await _record(client, world["cosigner"]))["categories"]["opinions"] == "18.00"


async def test_sector_targets_count_the_sectors_activities_and_outputs(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    from cppcc_common.contracts.consultation import SpeechDeliveredV1, SpeechMode

    acts = [
        AttendanceRecordedV1(
            activity_id=uuid.uuid4(),
            org_id=ORG,
            person_id=IDS[who],
            activity_kind=ActivityKind.ACTIVITY,
            occurred_at=WHEN,
            scheduled_minutes=60,
            attended_minutes=60,
        )
        for who in ("plain", "standing")
    ]
    speech = SpeechDeliveredV1(
        speech_id=uuid.uuid4(),
        activity_id=acts[0].activity_id,
        org_id=ORG,
        person_id=IDS["plain"],
        mode=SpeechMode.WRITTEN,
        occurred_at=WHEN,
    )
    await _ledger_has(settings, await _publish(settings, *acts, speech))  # before rule 26 closes their year
    report = {
        r["name"]: r
        for r in (
            await client.get("/api/v1/duty/sectors", params={"year": YEAR}, headers=world["staff"])
        ).json()["items"]
    }
    assert report["经济界"]["activities"] == 2 and report["经济界"]["activities_met"] is True
    assert report["经济界"]["outputs"] == 1 and report["经济界"]["met"] is False  # ≥ 2 outputs needed
    assert report["教育界"]["opinions"] == 1
    assert (
        await client.get("/api/v1/duty/sectors", params={"year": YEAR}, headers=world["plain"])
    ).status_code == 403


async def test_rule_26_a_standing_members_year_closes_only_with_the_annual_report(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    close = f"/api/v1/duty/records/{IDS['standing']}/close"
    refused = await client.post(close, params={"year": YEAR}, headers=world["staff"])
    assert refused.status_code == 409 and refused.json()["code"] == "duty.annual_report_missing"
    upload = await client.put(
        f"/api/v1/duty/annual-reports/{YEAR}",
        content="本年度履职情况……".encode(),
        headers={**world["standing"], "Content-Type": "text/plain"},
    )
    assert upload.status_code == 200 and upload.json()["size"] > 0
    closed = await client.post(close, params={"year": YEAR}, headers=world["staff"])
    assert closed.status_code == 200
    again = await client.post(close, params={"year": YEAR}, headers=world["staff"])
    assert again.status_code == 409 and again.json()["code"] == "duty.year_closed"
    plain = await client.post(
        f"/api/v1/duty/records/{IDS['plain']}/close", params={"year": YEAR}, headers=world["staff"]
    )
    assert plain.status_code == 200  # not standing: no report needed


async def test_rule_28_members_see_their_own_record_staff_see_everyones(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    assert (
        await client.get(
            f"/api/v1/duty/records/{IDS['plain']}", params={"year": YEAR}, headers=world["cosigner"]
        )
    ).status_code == 403
    assert (
        await client.get("/api/v1/duty/records", params={"year": YEAR}, headers=world["plain"])
    ).status_code == 403
    foreign = await client.get(
        f"/api/v1/duty/records/{IDS['plain']}", params={"year": YEAR}, headers=world["other_staff"]
    )
    assert foreign.status_code == 404
    await _ledger_has(
        settings, await _publish(settings, _submitted_in(OTHER_ORG, "foreigner"))
    )  # the other organization has a member with points
    ranked = (await client.get("/api/v1/duty/records", params={"year": YEAR}, headers=world["staff"])).json()[
        "items"
    ]
    assert [r["rank_in_org"] for r in ranked] == sorted(r["rank_in_org"] for r in ranked)
    by_name = {r["name"]: r for r in ranked}
    assert set(by_name) == {"plain", "standing", "cosigner"}
    theirs = (
        await client.get("/api/v1/duty/records", params={"year": YEAR}, headers=world["other_staff"])
    ).json()["items"]
    assert [(r["name"], r["categories"]["proposals"]) for r in theirs] == [("foreigner", "10.00")]
    assert by_name["cosigner"]["rank_in_sector"] == 1  # alone in 教育界
    sector_a = (
        await client.get(
            "/api/v1/duty/records", params={"year": YEAR, "sector_id": str(SECTOR_A)}, headers=world["staff"]
        )
    ).json()["items"]
    assert {r["name"] for r in sector_a} == {"plain", "standing"}


async def test_a_new_scoring_table_applies_from_its_date_after_recomputation(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    admin_id = uuid.uuid4()
    engine = create_engine(settings.database_url, pool_size=1)
    async with session_scope(create_sessionmaker(engine)) as session:
        await register_person(
            seeding(session),
            id=admin_id,
            org_id=ORG,
            name="admin",
            phone="13500000099",
            password=PASSWORD,
            roles=["admin"],
        )
    await engine.dispose()
    token = (
        await client.post("/api/v1/auth/login", json={"phone": "13500000099", "password": PASSWORD})
    ).json()
    admin = {"Authorization": f"Bearer {token['access_token']}"}
    before = (await _record(client, world["cosigner"]))["categories"]["opinions"]
    bad = await client.post(
        "/api/v1/duty/scoring-tables",
        headers=admin,
        json={"effective_from": f"{YEAR}-01-01", "values": {"no_such_rule": 1}},
    )
    assert bad.status_code == 422
    made = await client.post(
        "/api/v1/duty/scoring-tables",
        headers=admin,
        json={"effective_from": f"{YEAR}-01-01", "values": {"opinion_adopted_points": 2}},
    )
    assert made.status_code == 201
    same_day = await client.post(
        "/api/v1/duty/scoring-tables", headers=admin, json={"effective_from": f"{YEAR}-01-01", "values": {}}
    )
    assert same_day.status_code == 409 and same_day.json()["code"] == "duty.scoring_table_exists"
    assert (
        await client.post(
            "/api/v1/duty/scoring-tables",
            headers=world["staff"],
            json={"effective_from": f"{YEAR}-02-01", "values": {}},
        )
    ).status_code == 403
    done = await client.post("/api/v1/duty/recompute", params={"year": YEAR}, headers=admin)
    assert done.status_code == 200 and done.json()["events"] > 0
    after = (await _record(client, world["cosigner"]))["categories"]["opinions"]
    assert (before, after) == ("18.00", "12.00")  # the new table has no provincial bonus: 10 + 2


async def test_rule_28_unit_users_see_no_member_data(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    unit_user = uuid.uuid4()
    engine = create_engine(settings.database_url, pool_size=1)
    async with session_scope(create_sessionmaker(engine)) as session:
        await register_person(
            seeding(session),
            id=unit_user,
            org_id=ORG,
            name="办文员",
            phone="13500000088",
            password=PASSWORD,
            roles=["unit_user"],
            unit_id=uuid.uuid4(),
        )
    await engine.dispose()
    token = (
        await client.post("/api/v1/auth/login", json={"phone": "13500000088", "password": PASSWORD})
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for path in (
        "/api/v1/members",
        f"/api/v1/duty/records/{IDS['plain']}",
        "/api/v1/duty/records",
        "/api/v1/duty/records/me",
        "/api/v1/members/me",
    ):
        r = await client.get(path, params={"year": YEAR}, headers=headers)
        assert r.status_code == 403, path


async def test_staff_export_the_years_records_to_xlsx(client: httpx.AsyncClient, world: Any) -> None:
    import io

    from openpyxl import load_workbook

    r = await client.get("/api/v1/duty/records/export", params={"year": YEAR}, headers=world["staff"])
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("排名", "姓名", "界别")
    assert {row[1] for row in rows[1:]} == {"plain", "standing", "cosigner"}
    assert (
        await client.get("/api/v1/duty/records/export", params={"year": YEAR}, headers=world["plain"])
    ).status_code == 403


async def test_training_once_per_term_is_reported_on_the_record(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    from cppcc_common.contracts.consultation import TrainingAttendedV1

    assert (await _record(client, world["cosigner"]))["training_met"] is False
    training = TrainingAttendedV1(
        training_id=uuid.uuid4(), org_id=ORG, person_id=IDS["cosigner"], occurred_at=WHEN
    )
    await _ledger_has(settings, await _publish(settings, training))
    assert (await _record(client, world["cosigner"]))["training_met"] is True
