"""The organization's proposal policy (issue 9 "Policy") through the API: the defaults of
DOMAIN.md §2, read by staff, set only by administrators, every value within its range and the
values holding together, audited by an event, and read by the rules from then on."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.events import CloudEvent
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.proposals.policy import DEFAULT_POLICY
from proposal_svc.settings import Settings

from .conftest import enrol

CLOCK = FakeClock(datetime(2026, 3, 31, 15, 30, tzinfo=UTC))  # 23:30 on a month end in Shanghai
URL = "/api/v1/proposals/policy"


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


def _h(issuer: TestIssuer, org: uuid.UUID, *roles: str, **kw: Any) -> dict[str, str]:
    at = int(CLOCK.now().timestamp())
    return issuer.headers(sub=uuid.uuid4(), org=org, roles=list(roles), iat=at - 60, exp=at + 86400, **kw)


async def _policy(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get(URL, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _audits(db: AsyncEngine, org: uuid.UUID) -> list[CloudEvent]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at, id"),
            {"t": "cppcc.proposal.policy_changed.v1"},
        )
        events = [CloudEvent.model_validate(json.loads(r.payload)) for r in rows]
    return [e for e in events if e.orgid == org]


async def test_the_policy_starts_with_the_defaults_of_domain_md(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    policy = await _policy(client, _h(issuer, uuid.uuid4(), "staff", scopes=["consultation"]))
    assert policy == DEFAULT_POLICY.model_dump(mode="json")
    assert (policy["cosign_days"], policy["max_cosigners"], policy["reply_due_months"]) == (7, 30, 3)
    assert (policy["max_reply_months"], policy["due_soon_days"], len(policy["refusal_reasons"])) == (
        6,
        [15, 3],
        10,
    )
    assert set(policy["evaluations"]) == {"satisfied", "basically_satisfied", "dissatisfied"}


async def test_staff_read_the_policy_and_only_administrators_set_it(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    org = uuid.uuid4()
    body = DEFAULT_POLICY.model_dump(mode="json") | {"cosign_days": 9}
    expected = {
        "staff_with_proposals": (_h(issuer, org, "staff", scopes=["proposals"]), 200, 403),
        "staff_other_scope": (_h(issuer, org, "staff", scopes=["members"]), 200, 403),
        "admin": (_h(issuer, org, "admin"), 200, 200),
        "member": (_h(issuer, org, "member"), 403, 403),
        "leader": (_h(issuer, org, "leader"), 403, 403),
        "unit_user": (_h(issuer, org, "unit_user", unit=uuid.uuid4()), 403, 403),
        "partner": (_h(issuer, org, "partner", unit=uuid.uuid4()), 403, 403),
        "nobody": ({}, 401, 401),
    }
    for who, (headers, read, write) in expected.items():
        assert (await client.get(URL, headers=headers)).status_code == read, who
        assert (await client.put(URL, json=body, headers=headers)).status_code == write, who


async def test_an_administrator_sets_every_value_of_their_organization_only_audited_with_before_and_after(
    client: httpx.AsyncClient, issuer: TestIssuer, db: AsyncEngine
) -> None:
    org, other = uuid.uuid4(), uuid.uuid4()
    admin = _h(issuer, org, "admin")
    body = DEFAULT_POLICY.model_dump(mode="json") | {
        "cosign_days": 4,
        "refusal_reasons": ["不属于本级政协职责范围", "内容空泛、没有具体建议"],
        "reply_classes": {"A": "已解决", "B": "正在解决", "C": "留作参考", "D": "无法解决"},
        "open_reply_classes": ["B", "D"],
        "session_reply_due_months": 5,
    }
    r = await client.put(URL, json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == body == await _policy(client, admin)
    assert await _policy(client, _h(issuer, other, "admin")) == DEFAULT_POLICY.model_dump(mode="json")
    async with db.connect() as conn:
        stored = (
            await conn.execute(text("SELECT values FROM proposal_policies WHERE org_id = :o"), {"o": org})
        ).scalar_one()
    changed = [
        "cosign_days",
        "refusal_reasons",
        "session_reply_due_months",
        "reply_classes",
        "open_reply_classes",
    ]
    assert sorted(stored) == sorted(changed)  # only the overrides: a later default reaches the rest
    (audit,) = await _audits(db, org)
    assert audit.actorid is not None and audit.subject == str(org)
    assert audit.data["changed"] == changed
    assert audit.data["before"]["cosign_days"] == 7 and audit.data["after"]["cosign_days"] == 4
    assert audit.data["before"]["open_reply_classes"] == ["B"]
    assert audit.data["after"]["open_reply_classes"] == ["B", "D"]
    assert datetime.fromisoformat(audit.data["changed_at"]) == CLOCK.now()
    # The same values again change nothing and audit nothing.
    assert (await client.put(URL, json=body, headers=admin)).status_code == 200
    assert len(await _audits(db, org)) == 1
    back = await client.put(URL, json=DEFAULT_POLICY.model_dump(mode="json"), headers=admin)
    assert back.status_code == 200 and len(await _audits(db, org)) == 2


async def test_rule_4_the_cosign_deadline_follows_the_organizations_policy_value(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings
) -> None:
    """Set to 4 days (not the default 7): an invitation sent at 23:30 on 31 March (Shanghai) is due
    4 days later to the microsecond."""
    org, first, co = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for person in (first, co):
        await enrol(settings, person_id=person, org_id=org)
    body = DEFAULT_POLICY.model_dump(mode="json") | {"cosign_days": 4}
    assert (await client.put(URL, json=body, headers=_h(issuer, org, "admin"))).status_code == 200
    at = int(CLOCK.now().timestamp())
    member = issuer.headers(sub=first, org=org, roles=["member"], iat=at - 60, exp=at + 86400)
    draft = {
        "title": "关于加装电梯的建议",
        "situation": "没有电梯。",
        "suggestions": ["补贴"],
        "cosigner_ids": [str(co)],
    }
    pid = (await client.post("/api/v1/proposals", json=draft, headers=member)).json()["id"]
    submitted = await client.post(f"/api/v1/proposals/{pid}/submit", headers=member)
    assert submitted.status_code == 200, submitted.text
    respond_by = datetime.fromisoformat(submitted.json()["proposers"][1]["respond_by"])
    assert respond_by == CLOCK.now() + timedelta(days=4)


async def test_a_changed_policy_holds_from_the_next_request_on(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings
) -> None:
    """The transition reads the policy with the proposal's lock, and parses a stored policy once per
    distinct value: each change (and a change back) rules the very next submission."""
    org, first, co = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for person in (first, co):
        await enrol(settings, person_id=person, org_id=org)
    at = int(CLOCK.now().timestamp())
    member = issuer.headers(sub=first, org=org, roles=["member"], iat=at - 60, exp=at + 86400)
    draft = {
        "title": "关于加装电梯的建议",
        "situation": "没有电梯。",
        "suggestions": ["补贴"],
        "cosigner_ids": [str(co)],
    }
    for days in (4, 9, 4, DEFAULT_POLICY.cosign_days):
        body = DEFAULT_POLICY.model_dump(mode="json") | {"cosign_days": days}
        assert (await client.put(URL, json=body, headers=_h(issuer, org, "admin"))).status_code == 200
        pid = (await client.post("/api/v1/proposals", json=draft, headers=member)).json()["id"]
        submitted = await client.post(f"/api/v1/proposals/{pid}/submit", headers=member)
        assert submitted.status_code == 200, submitted.text
        respond_by = datetime.fromisoformat(submitted.json()["proposers"][1]["respond_by"])
        assert respond_by == CLOCK.now() + timedelta(days=days)


def _errors(r: httpx.Response) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    return [(e["field"], e["code"]) for e in r.json()["errors"]]


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("cosign_days", 1, 60),
        ("max_cosigners", 1, 200),
        ("reply_due_months", 1, 6),  # (at most max_reply_months, 6 here)
        ("cohandler_view_months", 1, 12),
        ("attachment_max_count", 1, 50),
        ("attachment_max_bytes", 1024, 20 * 1024 * 1024),
    ],
)
async def test_each_number_is_admitted_at_its_bounds_and_refused_just_outside(
    client: httpx.AsyncClient, issuer: TestIssuer, name: str, low: int, high: int
) -> None:
    admin = _h(issuer, uuid.uuid4(), "admin")
    base = DEFAULT_POLICY.model_dump(mode="json")
    for good in (low, high):
        r = await client.put(URL, json=base | {name: good}, headers=admin)
        assert r.status_code == 200 and r.json()[name] == good, (name, good, r.text)
    for bad in (low - 1, high + 1) if name != "reply_due_months" else (low - 1,):
        assert _errors(await client.put(URL, json=base | {name: bad}, headers=admin)) == [
            (name, "greater_than_equal" if bad < low else "less_than_equal")
        ]


async def test_the_values_hold_together_each_violation_named_in_chinese_and_english(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    admin = _h(issuer, uuid.uuid4(), "admin")
    base = DEFAULT_POLICY.model_dump(mode="json")
    r = await client.put(
        URL,
        json=base
        | {
            "reply_due_months": 4,
            "max_reply_months": 3,
            "min_suggestions": 3,
            "max_suggestions": 2,
            "refusal_reasons": ["不属于本级政协职责范围", " 不属于本级政协职责范围 ", "   "],
            "open_reply_classes": ["B", "Z"],
            "evaluations": {"satisfied": "满意", "unsatisfied": "不满意"},
            "due_soon_days": [15, 15],
        },
        headers=admin,
    )
    assert sorted(_errors(r)) == sorted(
        [
            ("min_suggestions", "above_max_suggestions"),
            ("max_reply_months", "below_reply_due_months"),
            ("refusal_reasons.1", "duplicate"),
            ("refusal_reasons.2", "blank"),
            ("due_soon_days.1", "duplicate"),
            ("open_reply_classes.1", "unknown_reply_class"),
            ("evaluations", "dissatisfied_required"),
        ]
    )
    assert all(e["message"] and e["message_en"] for e in r.json()["errors"])
    assert await _policy(client, admin) == base  # nothing stored
    for field, value in (
        ("refusal_reasons", []),
        ("reply_classes", {}),
        ("attachment_types", []),
        ("attachment_types", ["pdf"]),
        ("reply_classes", {"a": "小写代码"}),
        ("evaluations", {"dissatisfied": "不满意"}),
    ):
        assert _errors(await client.put(URL, json=base | {field: value}, headers=admin))[0][0].startswith(
            field
        )
    missing = {k: v for k, v in base.items() if k != "cosign_days"}
    assert _errors(await client.put(URL, json=missing, headers=admin)) == [("cosign_days", "missing")]
    assert _errors(await client.put(URL, json=base | {"surprise": 1}, headers=admin)) == [
        ("surprise", "extra_forbidden")
    ]
