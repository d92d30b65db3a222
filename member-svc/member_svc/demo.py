"""Demo data for `make run`: a municipal organization with its current term, plenary sessions,
handling units, and a roster of about 300 members loaded by the roster importer from
`demo_data/roster.xlsx` (idempotent: safe to run on every start).

The demo password is for local demos only; nothing seeds it outside `seed-demo`.
"""

import logging
import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from cppcc_common.change import Change, system_change
from cppcc_common.clock import SHANGHAI, SystemClock
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.settings import ServiceSettings
from member_svc.demo_data.accounts import ACCOUNTS, DEMO_PASSWORD, DemoAccount
from member_svc.demo_data.make_roster import ROSTER
from member_svc.directory import service as directory
from member_svc.directory.models import PlenarySession, Term, Unit
from member_svc.directory.policy import DEFAULT_POLICY as DIRECTORY_POLICY
from member_svc.directory.schemas import SessionCreate, TermCreate
from member_svc.identity.passwords import hash_password
from member_svc.models import Person
from member_svc.people.service import ensure_organization, register_person
from member_svc.roster.importer import ImportOutcome, import_rows
from member_svc.roster.policy import DEFAULT_POLICY as ROSTER_POLICY
from member_svc.roster.sheet import read_roster

log = logging.getLogger("member.demo")

DEMO_NAMESPACE = uuid.UUID("5f0c1c2e-8d53-4c5e-9a57-0c2f3c1d9e01")
DEMO_ORG_ID = uuid.uuid5(DEMO_NAMESPACE, "org:demo-city")
DEMO_TERM = TermCreate(number=15, starts_on=date(2023, 1, 1), ends_on=date(2027, 12, 31))
# Plenary sessions (number, opening day, days); session proposals are due at 18:00 of day two.
DEMO_SESSIONS = [
    (1, date(2023, 1, 8), 4),
    (2, date(2024, 1, 7), 4),
    (3, date(2025, 1, 12), 4),
    (4, date(2026, 1, 11), 4),
    (5, date(2027, 1, 10), 4),
]
DEMO_UNITS = [
    "市发展和改革委员会",
    "市教育局",
    "市公安局",
    "市财政局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房和城乡建设局",
    "市交通运输局",
    "市农业农村局",
    "市卫生健康委员会",
    "市市场监督管理局",
]


def demo_person_id(phone: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"person:{phone}")


async def seed_demo(settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            change = system_change(session, now=SystemClock().now(), source=settings.source)
            await ensure_organization(change, id=DEMO_ORG_ID, name="示例市政协", level="municipal")
            log.info("demo: accounts, term, sessions, units")
            await _units(change)
            for account in ACCOUNTS:
                await _account(change, account)
            term = await _term(change)
            await _sessions(change, term)
            log.info("demo: importing the roster", extra={"file": ROSTER.name})
            outcome = await _roster(change, term)
        log.info(
            "demo roster",
            extra={"imported": outcome.imported, "updated": outcome.updated, "rows": outcome.total},
        )
    finally:
        await engine.dispose()


async def _account(change: Change, account: DemoAccount) -> None:
    """The account, unless its phone has one; a unit user is added the way the directory adds them."""
    if (await change.session.execute(select(Person.id).where(Person.phone == account.phone))).first():
        return
    if account.unit is None:
        await register_person(
            change,
            id=demo_person_id(account.phone),
            org_id=DEMO_ORG_ID,
            name=account.name,
            phone=account.phone,
            password=DEMO_PASSWORD,
            roles=list(account.roles),
            scopes=list(account.scopes),
        )
        return
    units = {u.name: u.id for u in await directory.named(change.session, Unit, DEMO_ORG_ID)}
    person = await directory.add_unit_user(
        change, org_id=DEMO_ORG_ID, unit_id=units[account.unit], name=account.name, phone=account.phone
    )
    person.password_hash = await hash_password(DEMO_PASSWORD)  # unit users otherwise sign in by SMS


async def _term(change: Change) -> Term:
    query = select(Term).where(Term.org_id == DEMO_ORG_ID, Term.number == DEMO_TERM.number)
    term = (await change.session.execute(query)).scalar_one_or_none()
    return term or await directory.add_term(change, org_id=DEMO_ORG_ID, data=DEMO_TERM)


async def _sessions(change: Change, term: Term) -> None:
    query = select(PlenarySession.number).where(PlenarySession.term_id == term.id)
    scheduled = set((await change.session.execute(query)).scalars())
    for number, opens_on, days in DEMO_SESSIONS:
        if number in scheduled:
            continue
        deadline = datetime.combine(opens_on + timedelta(days=1), time(18, 0), SHANGHAI)
        data = SessionCreate(
            term_id=term.id,
            number=number,
            opens_on=opens_on,
            closes_on=opens_on + timedelta(days=days - 1),
            proposal_deadline_at=deadline,
        )
        await directory.schedule_session(change, org_id=DEMO_ORG_ID, data=data, policy=DIRECTORY_POLICY)


async def _units(change: Change) -> None:
    existing = {u.name for u in await directory.named(change.session, Unit, DEMO_ORG_ID)}
    for name in DEMO_UNITS:
        if name not in existing:
            await directory.create_unit(change, org_id=DEMO_ORG_ID, name=name, kind="government")


async def _roster(change: Change, term: Term) -> ImportOutcome:
    """Imports the roster in update mode: the first run adds every member, later runs change nothing."""
    outcome = await import_rows(
        change,
        org_id=DEMO_ORG_ID,
        term_id=term.id,
        rows=read_roster(ROSTER.read_bytes(), ROSTER_POLICY),
        mode="valid_only",
        create_missing=True,
        policy=ROSTER_POLICY,
        update_existing=True,
    )
    if outcome.rejected:
        raise RuntimeError(f"the demo roster has rejected rows: {[c.report() for c in outcome.rejected[:5]]}")
    return outcome
