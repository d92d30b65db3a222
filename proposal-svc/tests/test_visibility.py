"""Rule 28 (DOMAIN.md §7) is one statement: the get for update, the list and the hot read by id
answer alike, on the real database, for every role, scope, ownership, co-signature and status."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import text

from cppcc_common.db import create_engine
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.proposals.domain import InvitationStatus, Status
from proposal_svc.settings import Settings

ORGS = (uuid.uuid4(), uuid.uuid4())
NO_PROPOSALS_ORG = uuid.uuid4()
PEOPLE = (uuid.uuid4(), uuid.uuid4())
STRANGER = uuid.uuid4()
UNITS = (uuid.uuid4(), uuid.uuid4())  # handling units: a proposal is assigned to one, or to none
UNIT_ROLES = frozenset({"unit_user", "partner"})


@dataclass(frozen=True)
class Stored:
    id: uuid.UUID
    org_id: uuid.UUID
    first_proposer_id: uuid.UUID
    status: Status
    cosigner_id: uuid.UUID
    invitation: InvitationStatus
    unit_id: uuid.UUID | None = None  # the unit it is assigned to (rule 28), if any
    assignment_status: str = "assigned"  # `reassigned`: the part moved away, the unit sees it no more


def _stored(n: int, org: uuid.UUID, first: uuid.UUID, status: Status) -> Stored:
    """Co-signed by the other person or the stranger, every status meeting every invitation state
    across the four (organization, first proposer) groups; assigned to one unit, the other or none,
    some of those parts reassigned away."""
    other = PEOPLE[1 - PEOPLE.index(first)] if n % 2 == 0 else STRANGER
    invitation = list(InvitationStatus)[(n + n // len(Status)) % len(InvitationStatus)]
    unit = (*UNITS, None)[n % 3]
    assignment = "reassigned" if n % 5 == 0 else ("accepted" if n % 2 else "assigned")
    return Stored(uuid.uuid4(), org, first, status, other, invitation, unit, assignment)


@pytest.fixture(scope="module")
async def world(settings: Settings) -> list[Stored]:
    """A proposal in every status, by each of two people, in each of two organizations."""
    combos = [(o, p, s) for o in ORGS for p in PEOPLE for s in Status]
    stored = [_stored(n, *combo) for n, combo in enumerate(combos)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.begin() as conn:
        for n, p in enumerate(stored):
            await conn.execute(
                text(
                    "INSERT INTO proposals (id, org_id, status, title, situation, suggestions,"
                    " first_proposer_id, created_at, updated_at, version)"
                    " VALUES (:id, :org, :status, '案由', '情况', '[\"建议\"]', :who, :at, :at, 1)"
                ),
                {
                    "id": p.id,
                    "org": p.org_id,
                    "status": p.status.value,
                    "who": p.first_proposer_id,
                    "at": start + timedelta(minutes=n),
                },
            )
            await conn.execute(
                text(
                    "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                    " VALUES (:id, :first, 'first', 0, 'confirmed'), (:id, :co, 'cosigner', 1, :invitation)"
                ),
                {"id": p.id, "first": p.first_proposer_id, "co": p.cosigner_id, "invitation": p.invitation},
            )
            if p.unit_id is not None:
                await conn.execute(
                    text(
                        "INSERT INTO assignments (id, proposal_id, org_id, unit_id, role, status, assigned_at,"
                        " updated_at, version) VALUES (:aid, :id, :org, :unit, 'lead', :status, :at, :at, 1)"
                    ),
                    {
                        "aid": uuid.uuid4(),
                        "id": p.id,
                        "org": p.org_id,
                        "unit": p.unit_id,
                        "status": p.assignment_status,
                        "at": start,
                    },
                )
    await engine.dispose()
    return stored


def is_office(roles: frozenset[str], scopes: frozenset[str]) -> bool:
    return "leader" in roles or ("staff" in roles and "proposals" in scopes)


def may_read(p: Stored, sub: uuid.UUID, org: uuid.UUID, office: bool, unit: uuid.UUID | None = None) -> bool:
    """Rule 28 as DOMAIN.md words it: same organization; one's own, drafts included; the office
    (staff with the `proposals` scope) and leaders every submitted one; an invited or confirmed
    co-signer once submitted; a unit user or partner client (`unit`) those assigned to their unit
    (not a part reassigned away); a deleted draft nobody."""
    cosigns = p.cosigner_id == sub and p.invitation in (InvitationStatus.INVITED, InvitationStatus.CONFIRMED)
    assigned = unit is not None and p.unit_id == unit and p.assignment_status != "reassigned"
    submitted = p.status != Status.DRAFT
    return (
        p.org_id == org
        and p.status != Status.DELETED
        and (p.first_proposer_id == sub or (submitted and (office or cosigns or assigned)))
    )


def listed(
    p: Stored, sub: uuid.UUID, org: uuid.UUID, office: bool, mine: bool, unit: uuid.UUID | None = None
) -> bool:
    """The list: one's own (drafts included) when `mine`; else as the office every non-draft, and
    for anyone else whatever they may read (their own, those they co-sign, their unit's)."""
    if not may_read(p, sub, org, office, unit):
        return False
    if mine:
        return p.first_proposer_id == sub
    return p.status != Status.DRAFT if office else True


async def _listed_ids(client: httpx.AsyncClient, headers: dict[str, str], mine: bool) -> set[uuid.UUID]:
    r = await client.get("/api/v1/proposals", params={"limit": 100, "mine": mine}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return {uuid.UUID(p["id"]) for p in r.json()["items"]}


ROLES = st.frozensets(st.sampled_from(["member", "staff", "leader", "unit_user", "partner"]), min_size=1)
SCOPES = st.frozensets(st.sampled_from(["proposals", "consultation"]))


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    sub=st.sampled_from([*PEOPLE, STRANGER]),
    org=st.sampled_from([*ORGS, NO_PROPOSALS_ORG]),
    roles=ROLES,
    scopes=SCOPES,
    unit_claim=st.sampled_from([*UNITS, None]),
)
async def test_get_list_and_hot_read_share_one_visibility_rule(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: list[Stored],
    sub: uuid.UUID,
    org: uuid.UUID,
    roles: frozenset[str],
    scopes: frozenset[str],
    unit_claim: uuid.UUID | None,
) -> None:
    headers = issuer.headers(sub=sub, org=org, roles=sorted(roles), scopes=sorted(scopes), unit=unit_claim)
    office = is_office(roles, scopes)
    # The `unit` claim counts for unit users and partner clients only (rule 28).
    unit = unit_claim if roles & UNIT_ROLES else None
    for p in world:
        readable = may_read(p, sub, org, office, unit)
        # The hot read by id (one asyncpg fetchrow).
        got = await client.get(f"/api/v1/proposals/{p.id}", headers=headers)
        assert got.status_code == (200 if readable else 404), (p, got.text)
        if "member" in roles:
            # The get for update: a stale If-Match changes nothing; only the unreadable are 404.
            edit = await client.patch(
                f"/api/v1/proposals/{p.id}", json={"title": "改"}, headers={**headers, "If-Match": '"0"'}
            )
            assert (edit.status_code == 404) == (not readable), (p, edit.text)
            assert edit.status_code in (403, 404, 409, 412), edit.text
    for mine in (False, True):
        expected = {p.id for p in world if listed(p, sub, org, office, mine, unit)}
        assert await _listed_ids(client, headers, mine) == expected, mine


async def test_the_office_list_has_no_drafts_even_its_own(
    client: httpx.AsyncClient, issuer: TestIssuer, world: list[Stored]
) -> None:
    """A leader who is also a member sees their own drafts under `mine` only (the office's view
    is of submitted proposals)."""
    headers = issuer.headers(sub=PEOPLE[0], org=ORGS[0], roles=["member", "leader"])
    own_draft = next(
        p.id
        for p in world
        if p.org_id == ORGS[0] and p.first_proposer_id == PEOPLE[0] and p.status == "draft"
    )
    assert own_draft not in await _listed_ids(client, headers, mine=False)
    assert own_draft in await _listed_ids(client, headers, mine=True)
    assert (await client.get(f"/api/v1/proposals/{own_draft}", headers=headers)).status_code == 200
