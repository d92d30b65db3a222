"""The webhook rules as pure functions: schedule, matching, units, phones, signatures, addresses."""

import ipaddress
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from cppcc_common.events import registered_types
from notify_svc.webhooks import signing
from notify_svc.webhooks.domain import (
    JITTER,
    RETRY_SCHEDULE,
    Outcome,
    matches,
    next_attempt,
    outcome_of,
    parse_retry_after,
    phone_keys,
    units_concerned,
    without_phones,
)
from notify_svc.webhooks.errors import InsecureUrl
from notify_svc.webhooks.service import Config, _check_url
from notify_svc.webhooks.ssrf import AddressRefused, check_address, forbidden, networks

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@given(attempts=st.integers(1, len(RETRY_SCHEDULE) - 1), seed=st.integers())
def test_each_retry_waits_its_scheduled_time_within_twenty_percent(attempts: int, seed: int) -> None:
    at = next_attempt(attempts, NOW, random.Random(seed)).at
    assert at is not None
    wait = RETRY_SCHEDULE[attempts]
    assert wait * (1 - JITTER) <= at - NOW <= wait * (1 + JITTER)


def test_the_schedule_is_design_section_8_and_ends_after_its_last_attempt() -> None:
    assert [int(w.total_seconds()) for w in RETRY_SCHEDULE] == [
        0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400
    ]  # fmt: skip
    assert next_attempt(len(RETRY_SCHEDULE), NOW, random.Random(1)).at is None


@given(retry_after=st.floats(0, 10 * 86_400), seed=st.integers())
def test_retry_after_is_honoured_up_to_its_cap(retry_after: float, seed: int) -> None:
    at = next_attempt(1, NOW, random.Random(seed), retry_after, retry_after_cap=3600)
    assert at.at is not None
    assert at.at - NOW >= timedelta(seconds=min(retry_after, 3600))
    assert at.at - NOW <= max(timedelta(seconds=3600), RETRY_SCHEDULE[1] * (1 + JITTER))


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Mon, 02 Mar 2026 02:00:00 GMT", NOW) == 3600
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (299, Outcome.DELIVERED), (301, Outcome.RETRY),
     (302, Outcome.RETRY), (307, Outcome.RETRY), (400, Outcome.RETRY), (410, Outcome.GONE),
     (429, Outcome.RETRY), (500, Outcome.RETRY), (None, Outcome.RETRY)],
)  # fmt: skip
def test_only_2xx_is_delivered_and_3xx_is_a_failure(status: int | None, outcome: Outcome) -> None:
    assert outcome_of(status) is outcome


@pytest.mark.parametrize(
    ("patterns", "event_type", "matched"),
    [
        (["cppcc.proposal.*"], "cppcc.proposal.assigned.v1", True),
        (["cppcc.proposal.*"], "cppcc.consultation.opened.v1", False),
        (["cppcc.proposal.assigned"], "cppcc.proposal.assigned.v1", True),
        (["cppcc.proposal.assigned"], "cppcc.proposal.assigned_again.v1", False),
        (["cppcc.proposal.assigned.v1"], "cppcc.proposal.assigned.v1", True),
        (["*"], "cppcc.opinion.adopted.v1", True),
    ],
)
def test_event_type_patterns_with_wildcards(patterns: list[str], event_type: str, matched: bool) -> None:
    assert matches(event_type, patterns) is matched


def test_the_units_an_event_concerns_are_found_at_any_depth() -> None:
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    data = {
        "unit_id": str(a),
        "units": [{"unit_id": str(b)}],
        "unit_ids": [str(c)],
        "previous_unit_id": str(d),
    }
    assert units_concerned(data) == {a, b, c, d}
    assert units_concerned({"proposal_id": str(a)}) == set()


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _property_names(item)
    return names


def test_no_event_contract_carries_a_phone_number() -> None:
    """A partner receives the CloudEvent: no contract may have a key that looks like a phone's."""
    for event_type, contract in registered_types().items():
        names = _property_names(contract.model_json_schema())
        assert phone_keys(dict.fromkeys(names)) == [], event_type


def test_a_payload_key_that_looks_like_a_phone_is_never_sent() -> None:
    payload = {"data": {"name": "张明", "mobile": "13800000000", "units": [{"contact_phone": "1"}]}}
    assert phone_keys(payload) == ["data.mobile", "data.units.contact_phone"]
    assert without_phones(payload) == {"data": {"name": "张明", "units": [{}]}}


@given(msg_id=st.text(min_size=1, max_size=40).filter(lambda s: "." not in s and " " not in s),
       body=st.text(max_size=200), timestamp=st.integers(1_600_000_000, 2_000_000_000))  # fmt: skip
def test_a_signature_is_the_reference_librarys(msg_id: str, body: str, timestamp: int) -> None:
    secret = signing.new_secret()
    ours = signing.sign(secret, msg_id, timestamp, body.encode())
    assert ours == Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)


def test_a_secret_is_standard_webhooks_format_and_its_ciphertext_is_bound_to_its_endpoint() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and 24 <= len(signing.secret_bytes(secret)) <= 64
    key, endpoint = bytes(32), uuid.uuid4()
    blob = signing.encrypt(key, endpoint, secret)
    assert signing.decrypt(key, endpoint, blob) == secret
    with pytest.raises(Exception):  # noqa: B017 (cryptography's InvalidTag)
        signing.decrypt(key, uuid.uuid4(), blob)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
     "240.0.0.1", "100.64.0.1", "::1", "fe80::1", "fc00::1", "ff02::1", "::", "::ffff:127.0.0.1",
     "::ffff:10.0.0.1", "255.255.255.255"],
)  # fmt: skip
def test_private_loopback_link_local_multicast_reserved_and_unspecified_addresses_are_refused(
    address: str,
) -> None:
    assert forbidden(ipaddress.ip_address(address))
    with pytest.raises(AddressRefused):
        check_address(address, [])


@pytest.mark.parametrize("address", ["1.1.1.1", "8.8.8.8", "2001:4860:4860::8888", "::ffff:1.1.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not forbidden(ipaddress.ip_address(address))
    check_address(address, [])


def test_the_allow_list_admits_its_networks_only() -> None:
    allow = networks(["127.0.0.1/32", "10.8.0.0/16"])
    check_address("127.0.0.1", allow)
    check_address("10.8.3.4", allow)
    with pytest.raises(AddressRefused):
        check_address("10.9.0.1", allow)


def test_production_endpoints_must_use_https() -> None:
    production, development = Config(None, production=True), Config(None, production=False)
    assert _check_url("https://partner.example.cn/hook", production)
    assert _check_url("http://partner.example.cn/hook", development)
    for url in ["http://partner.example.cn/hook", "ftp://x.cn/", "https://user:pw@x.cn/", "https:///nohost"]:
        with pytest.raises(InsecureUrl):
            _check_url(url, production)
