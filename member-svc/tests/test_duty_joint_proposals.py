"""Rule 23 with rule 4 on the ledger's real path (events on JetStream → consumer → ledger): the
proposal points of a joint proposal follow its real co-signers — those confirming after the
submission join the submission's split, filing and key designation split among the confirmed —
and nothing is counted twice, redelivered, replayed past the inbox, or recomputed."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text

from cppcc_common.change import system_change
from cppcc_common.contracts.proposal import (
    ProposalCosignConfirmedV1,
    ProposalFiledV1,
    ProposalKeyDesignatedV1,
    ProposalSubmittedV1,
)
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.events import CloudEvent, EventData, make_event, parse_event
from member_svc.directory.models import Member, Term
from member_svc.duty import service
from member_svc.duty.models import ScoringTable
from member_svc.duty.policy import DutyPolicy
from member_svc.people.service import ensure_organization, register_person
from member_svc.settings import Settings

from .conftest import seeding

ORG, TERM = uuid.uuid4(), uuid.uuid4()
FIRST, CO_A, CO_B, CO_C = (uuid.uuid4() for _ in range(4))
YEAR = 2026
SUBMITTED_AT = datetime(YEAR, 3, 31, 15, 30, tzinfo=UTC)  # 23:30 on a month end in Shanghai
# Points that are neither the defaults (10, 15, 5; a half) nor reach the cap: a share counted twice
# or not at all shows in every total below.
TABLE = {
    "proposal_submitted_points": 12,
    "proposal_filed_points": 18,
    "key_proposal_points": 6,
    "joint_first_proposer_share": "0.6",
    "proposals_max": 100,
}


@pytest.fixture(scope="module")
async def world(settings: Settings, client: httpx.AsyncClient) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    async with session_scope(create_sessionmaker(engine)) as session:
        await ensure_organization(seeding(session), id=ORG, name="庚市政协", level="municipal")
        session.add(
            Term(id=TERM, org_id=ORG, number=15, starts_on=date(2023, 1, 1), ends_on=date(2027, 12, 31))
        )
        session.add(
            ScoringTable(
                id=uuid.uuid4(),
                org_id=ORG,
                effective_from=date(2023, 1, 1),
                values=DutyPolicy.from_stored(TABLE).model_dump(mode="json"),
                created_at=SUBMITTED_AT,
                created_by=None,
            )
        )
        for n, person in enumerate((FIRST, CO_A, CO_B, CO_C)):
            await register_person(
                seeding(session),
                id=person,
                org_id=ORG,
                name=f"委员{n}",
                phone=f"1360000{n:04d}",
                password="Passw0rd-丁",
                roles=["member"],
            )
        await session.flush()
        for person in (FIRST, CO_A, CO_B, CO_C):
            session.add(
                Member(
                    id=uuid.uuid4(),
                    org_id=ORG,
                    term_id=TERM,
                    person_id=person,
                    party="无党派",
                    is_standing=False,
                    status="active",
                    version=1,
                )
            )
    await engine.dispose()


async def _deliver(settings: Settings, *payloads: EventData, repeat: bool = False) -> list[CloudEvent]:
    """Publishes each event (twice with `repeat`) and waits until the ledger consumed them all."""
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    events = []
    for data in payloads:
        event = make_event(data, source="/proposal-svc", subject=data.proposal_id, orgid=ORG)  # type: ignore[attr-defined]
        events.append(event)
        for copy in range(2 if repeat else 1):
            await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}-{copy}"})
    await nc.close()
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        for _ in range(200):
            async with engine.connect() as conn:
                query = text("SELECT count(*) FROM inbox WHERE event_id = ANY(:ids)")
                if (await conn.execute(query, {"ids": [e.id for e in events]})).scalar() == len(events):
                    return events
            await asyncio.sleep(0.05)
        raise AssertionError("events not consumed in time")
    finally:
        await engine.dispose()


async def _proposals_points(settings: Settings) -> dict[uuid.UUID, Decimal]:
    engine = create_engine(settings.database_url, pool_size=1)
    async with session_scope(create_sessionmaker(engine)) as session:
        records = await service.records(session, org_id=ORG, year=YEAR)
    await engine.dispose()
    return {r.person_id: r.categories["proposals"] for r in records}


def _confirmed(
    proposal_id: uuid.UUID, who: uuid.UUID, confirmed: list[uuid.UUID], days: int
) -> ProposalCosignConfirmedV1:
    return ProposalCosignConfirmedV1(
        proposal_id=proposal_id,
        org_id=ORG,
        first_proposer_id=FIRST,
        cosigner_id=who,
        position=confirmed.index(who) + 1,
        confirmed_at=SUBMITTED_AT + timedelta(days=days),
        version=2 + days,
        cosigner_ids=confirmed,
        submitted_at=SUBMITTED_AT,
    )


async def test_rule_23_cosigners_confirming_after_submission_share_the_points_once(
    settings: Settings, world: None
) -> None:
    """12 for submitting: 12 to the first proposer alone; after A confirms 7.2 + 4.8; after B, 7.2 +
    2.4 + 2.4. Filed (18): 10.8 + 3.6 + 3.6. Key (6): 3.6 + 1.2 + 1.2. C never confirmed: nothing.
    Totals 21.6, 7.2, 7.2 — keeping the first split would give the first proposer 26.4, A's
    earlier share 9.6."""
    pid = uuid.uuid4()
    submitted = ProposalSubmittedV1(
        proposal_id=pid,
        org_id=ORG,
        title="关于加装电梯的建议",
        kind="ordinary",
        first_proposer_id=FIRST,
        cosigner_ids=[],  # A, B and C are only invited yet
        submitted_at=SUBMITTED_AT,
        version=2,
    )
    await _deliver(settings, submitted)
    assert await _proposals_points(settings) == {
        FIRST: Decimal("12.00"),
        CO_A: Decimal(0),
        CO_B: Decimal(0),
        CO_C: Decimal(0),
    }
    (first,) = await _deliver(settings, _confirmed(pid, CO_A, [CO_A], days=1), repeat=True)
    points = await _proposals_points(settings)
    assert (points[FIRST], points[CO_A]) == (Decimal("7.20"), Decimal("4.80"))
    _, second = await _deliver(
        settings,
        _confirmed(pid, CO_A, [CO_A], days=1),
        _confirmed(pid, CO_B, [CO_A, CO_B], days=6),
        repeat=True,
    )
    points = await _proposals_points(settings)
    assert [points[p] for p in (FIRST, CO_A, CO_B, CO_C)] == [
        Decimal(x) for x in ("7.20", "2.40", "2.40", "0")
    ]
    common: dict[str, Any] = {
        "proposal_id": pid,
        "org_id": ORG,
        "first_proposer_id": FIRST,
        "cosigner_ids": [CO_A, CO_B],
    }
    filed_at = SUBMITTED_AT + timedelta(days=8)
    await _deliver(
        settings,
        ProposalFiledV1(**common, title="关于加装电梯的建议", is_joint=True, filed_at=filed_at, version=9),
        ProposalKeyDesignatedV1(**common, designated_at=filed_at, supervisor_ids=[uuid.uuid4()], version=10),
    )
    expected = {FIRST: Decimal("21.60"), CO_A: Decimal("7.20"), CO_B: Decimal("7.20"), CO_C: Decimal(0)}
    assert await _proposals_points(settings) == expected

    # Confirmations replayed past the inbox (as dead letters would be), the latest and an older
    # one: the older split never supersedes the newer...
    engine = create_engine(settings.database_url, pool_size=1)
    for replayed in (second, first):
        async with session_scope(create_sessionmaker(engine)) as session:
            change = system_change(session, now=filed_at, source="/member-svc")
            envelope, data = parse_event(replayed.to_json())
            await service.ingest(change, envelope, data)
        assert await _proposals_points(settings) == expected
    # ...and recomputing the year from the stored events gives the same figures.
    async with session_scope(create_sessionmaker(engine)) as session:
        await service.recompute_year(
            system_change(session, now=filed_at, source="/member-svc"), org_id=ORG, year=YEAR
        )
    await engine.dispose()
    assert await _proposals_points(settings) == expected
