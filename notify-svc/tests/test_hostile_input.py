"""No input a client can send is a 5xx: control characters in any text of any request body (the
devices, preferences and webhook endpoints), out-of-range, naive or malformed times and ids in
cursors, malformed If-Match headers, huge and null values (issue 6, issue 10)."""

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppcc_common.testing.hostile import (
    BAD_DATETIMES,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)
from cppcc_common.testing.tokens import TestIssuer

HYPOTHESIS = settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
ORG = uuid.uuid4()


def _cursor(at: Any, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()


@pytest.fixture(scope="module")
def caller(issuer: TestIssuer) -> dict[str, str]:
    """A person who is also an administrator: every route with a body admits them."""
    return issuer.headers(sub=uuid.uuid4(), org=ORG, roles=["member", "admin"], ttl=3600)


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_out_of_range_naive_or_malformed_cursors_are_422(
    client: httpx.AsyncClient, issuer: TestIssuer, at: str, id: Any
) -> None:
    r = await client.get("/api/v1/inbox", params={"cursor": _cursor(at, id)}, headers=issuer.headers())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    ops = [
        (op, path)
        for op in json_operations(document)
        for path, kind in leaves(op, document)
        if kind == "text"
    ]
    assert {op.path.split("/")[3] for op, _ in ops} >= {"devices", "preferences", "webhooks"}
    op, path = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    headers = {**caller, "Content-Type": "application/json", "If-Match": '"0"'}
    r = await client.request(op.method, op.path, content=json.dumps(body), headers=headers)
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


@pytest.mark.parametrize(
    "if_match", ['"1', "W/", "x" * 500, '"1", junk', '"\x7f"', "\t", '"99999999999999999999999"']
)
async def test_malformed_or_absurd_if_match_on_my_preferences_is_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], if_match: str
) -> None:
    body = {"locale": "zh", "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00"}}
    r = await client.put("/api/v1/preferences/me", json=body, headers={**caller, "If-Match": if_match})
    assert _refused(r), (if_match, r.status_code, r.text[:200])


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"platform": None, "vendor": "jpush", "token": "abcdefgh12"},
        {"platform": "android", "vendor": "jpush", "token": "a" * 100_000},
        {"platform": "android", "vendor": "jpush", "token": "abcdefgh12", "name": "x" * 10_000},
        {"platform": "android", "vendor": "jpush", "token": 12345678901},
        {"platform": "android", "vendor": "jpush", "token": "abcdefgh12", "extra": 1},
        {"platform": "symbian", "vendor": "jpush", "token": "abcdefgh12"},
    ],
)
async def test_hostile_device_registrations_are_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], body: Any
) -> None:
    r = await client.post(
        "/api/v1/devices", content=json.dumps(body), headers={**caller, "Content-Type": "application/json"}
    )
    assert _refused(r), (body, r.status_code, r.text[:200])


@pytest.mark.parametrize(
    "change",
    [
        {"categories": {f"c{i}": {"push": True, "sms": True} for i in range(1000)}},
        {"categories": {"x" * 10_000: {"push": True, "sms": True}}},
        {"categories": {"proposal.filed": {"push": None, "sms": True}}},
        {"sms_phone": "1" * 10_000},
        {"locale": None},
        {"quiet_hours": {"enabled": True, "start": "99:99", "end": "08:00"}},
    ],
)
async def test_hostile_preferences_are_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], change: dict[str, Any]
) -> None:
    body = {"locale": "zh", "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00"}, **change}
    r = await client.put("/api/v1/preferences/me", json=body, headers={**caller, "If-Match": "*"})
    assert _refused(r), (change, r.status_code, r.text[:200])
