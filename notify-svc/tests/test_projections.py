"""What one event reads on a real database: of notify-svc's projection (`projections.load`), the
people and units' users it names, and an office or the administrators only for an event whose rule
tells them (`audience.READS`), never anyone of another organization (rule 28); of the recipients'
preferences, one read for every channel (`channels.deliver`)."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import async_sessionmaker

import notify_svc
from cppcc_common.change import system_change
from cppcc_common.contracts.notify import WebhookEndpointDisabledV1
from cppcc_common.contracts.proposal import ProposalFiledV1, ProposalSubmittedV1
from cppcc_common.db import create_engine
from cppcc_common.events import EventData, make_event
from notify_svc import channels
from notify_svc.audience import notices
from notify_svc.channels.queue.models import Delivery
from notify_svc.devices.models import Device
from notify_svc.models import Recipient
from notify_svc.preferences.models import PreferenceRow
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


async def test_an_events_channels_read_the_recipients_preferences_once(databases: Any) -> None:
    """Inbox, push and SMS of one event: the preferences of its recipients are read in one query
    (push and SMS both need them; this runs for every event)."""
    url = databases.migrated(MIGRATIONS, "notifyprefs")
    engine = create_engine(url, pool_size=1)
    async with async_sessionmaker(engine)() as session, session.begin():
        session.add_all(
            Recipient(person_id=p, org_id=o, name="某人", roles=r, scopes=s, unit_id=None, updated_at=AT)
            for p, o, r, s in PEOPLE
        )
        session.add(
            Device(
                id=uuid.uuid4(), org_id=ORG, person_id=FIRST, platform="android", vendor="jpush", token="t1",
                registered_at=AT,
            )
        )  # fmt: skip
        session.add(
            PreferenceRow(
                person_id=FIRST, org_id=ORG, locale="en", quiet_enabled=False, quiet_start=AT.time(),
                quiet_end=AT.time(), categories={}, version=1, updated_at=AT,
            )
        )  # fmt: skip
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    data = ProposalFiledV1(
        proposal_id=PROPOSAL, org_id=ORG, title="提案", is_joint=True, filed_at=AT, version=5, number="第1号",
        first_proposer_id=FIRST, cosigner_ids=[CO1],
    )  # fmt: skip
    envelope = make_event(data, source="/test", subject=PROPOSAL, orgid=ORG, time=AT)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            people = await load(session, envelope, data)
            told = notices(envelope, data, people)
            event.listen(engine.sync_engine, "before_cursor_execute", seen)
            await channels.deliver(system_change(session, now=AT, source="/test"), envelope, told, people)
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
            pushed = (await session.execute(select(Delivery.person_id, Delivery.locale))).all()
    finally:
        await engine.dispose()
    assert pushed == [(FIRST, "en")]  # the push went out, in the language the preferences chose
    assert len([s for s in statements if "FROM channel_preferences" in s]) == 1
