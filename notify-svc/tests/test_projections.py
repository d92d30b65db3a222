"""The per-event read of notify-svc's projection (`projections.load`) on a real database: the people
and units' users an event names, and an office or the administrators only for an event whose rule
tells them (`audience.READS`); never anyone of another organization (rule 28)."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

import notify_svc
from cppcc_common.contracts.notify import WebhookEndpointDisabledV1
from cppcc_common.contracts.proposal import ProposalFiledV1, ProposalSubmittedV1
from cppcc_common.db import create_engine
from cppcc_common.events import EventData, make_event
from notify_svc.models import Recipient
from notify_svc.projections import load

MIGRATIONS = Path(notify_svc.__file__).parent / "migrations"
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
FIRST, CO1, OFFICE, MEMBERS_OFFICE, ADMIN, FOREIGN_OFFICE, FOREIGN_ADMIN = (uuid.uuid4() for _ in range(7))
PROPOSAL, ENDPOINT, UNIT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
PEOPLE: list[tuple[uuid.UUID, uuid.UUID, list[str], list[str]]] = [
    (FIRST, ORG, ["member"], []),
    (CO1, ORG, ["member"], []),
    (OFFICE, ORG, ["staff"], ["proposals"]),
    (MEMBERS_OFFICE, ORG, ["staff"], ["members"]),
    (ADMIN, ORG, ["admin"], []),
    (FOREIGN_OFFICE, OTHER_ORG, ["staff"], ["proposals"]),
    (FOREIGN_ADMIN, OTHER_ORG, ["admin"], []),
]


async def _read(url: str, data: EventData) -> set[uuid.UUID]:
    engine = create_engine(url, pool_size=1)
    try:
        async with async_sessionmaker(engine)() as session:
            envelope = make_event(data, source="/test", subject=uuid.uuid4(), orgid=ORG, time=AT)
            return set((await load(session, envelope, data)).people)
    finally:
        await engine.dispose()


async def test_rule_28_each_event_reads_its_named_people_and_only_the_office_or_admins_its_rule_tells(
    databases: Any,
) -> None:
    url = databases.migrated(MIGRATIONS, "notifyproj")
    engine = create_engine(url, pool_size=1)
    async with async_sessionmaker(engine)() as session, session.begin():
        session.add_all(
            Recipient(person_id=p, org_id=o, name="某人", roles=r, scopes=s, unit_id=None, updated_at=AT)
            for p, o, r, s in PEOPLE
        )
    await engine.dispose()
    proposers: dict[str, Any] = {"first_proposer_id": FIRST, "cosigner_ids": [CO1]}
    filed = ProposalFiledV1(
        proposal_id=PROPOSAL, org_id=ORG, title="提案", is_joint=True, filed_at=AT, version=5, number="第1号",
        **proposers,
    )  # fmt: skip
    submitted = ProposalSubmittedV1(
        proposal_id=PROPOSAL, org_id=ORG, title="提案", kind="ordinary", first_proposer_id=FIRST,
        submitted_at=AT, version=2,
    )  # fmt: skip
    disabled = WebhookEndpointDisabledV1(
        endpoint_id=ENDPOINT, org_id=ORG, unit_id=UNIT, url="https://partner.example.gov.cn/hooks",
        reason="gone", disabled_at=AT,
    )  # fmt: skip
    assert await _read(url, filed) == {FIRST, CO1}  # every proposer: no office, no administrator
    assert await _read(url, submitted) == {FIRST, OFFICE}  # the proposals office, not the members'
    assert await _read(url, disabled) == {ADMIN}  # the administrators of this organization only
