"""The demo `make run` loads: an account per role, each signing in with the demo password and
holding its role, and a partner client whose credentials the seed wrote to the data folder."""

import base64
import json
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_devstack.demo import (
    DEMO_ACCOUNTS,
    DEMO_PARTNER_UNIT,
    auth_headers,
    partner_credentials,
    partner_token,
    seed,
)
from cppcc_devstack.stack import Stack
from member_svc.demo_data.accounts import ACCOUNTS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_demo_has_a_staff_account_per_scope_a_leader_a_unit_user_and_an_administrator(
    gw: httpx.Client,
) -> None:
    staff_scopes = {tuple(a.scopes) for a in ACCOUNTS if a.roles == ("staff",)}
    assert staff_scopes == {("proposals",), ("consultation",), ("members",)}
    assert {"member", "leader", "unit_user", "admin"} <= set(DEMO_ACCOUNTS)
    units = {u["name"]: u["id"] for u in _items(gw.get("/api/v1/units", headers=auth_headers(gw, "admin")))}
    for account in ACCOUNTS:
        me = gw.get("/api/v1/me", headers=auth_headers(gw, account.key))
        assert me.status_code == 200, (account.key, me.text)
        body = me.json()
        assert (body["phone"], body["name"]) == (account.phone, account.name)
        assert set(body["roles"]) >= set(account.roles) and set(body["scopes"]) == set(account.scopes)
        assert body["unit_id"] == (units[account.unit] if account.unit else None)


def test_the_demo_partner_client_gets_a_token_of_its_unit_and_keeps_it_across_seeds(
    stack: Stack, gw: httpx.Client
) -> None:
    credentials = partner_credentials(stack)
    assert (stack.data_dir / "demo-partner.json").stat().st_mode & 0o077 == 0
    claims = _claims(partner_token(gw, credentials))
    assert claims["roles"] == ["partner"] and claims["unit"] == credentials.unit_id
    units = _items(gw.get("/api/v1/units", headers=auth_headers(gw, "admin")))
    assert next(u["name"] for u in units if u["id"] == credentials.unit_id) == DEMO_PARTNER_UNIT
    seed(stack)  # every make run seeds again: the same client, the same working secret
    assert partner_credentials(stack) == credentials
    partner_token(gw, credentials)


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    response.raise_for_status()
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)
