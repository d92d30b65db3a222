from pathlib import Path

from cppcc_common.catalog import build_catalog, render

CATALOG = Path(__file__).resolve().parents[3] / "docs" / "events" / "asyncapi.json"


def test_the_committed_event_catalog_matches_the_contracts() -> None:
    assert CATALOG.read_text() == render(), "run `make catalog` and commit docs/events/asyncapi.json"


def test_every_contract_has_a_channel_on_its_own_subject() -> None:
    catalog = build_catalog()
    addresses = {c["address"] for c in catalog["channels"].values()}
    assert {"cppcc.proposal.submitted.v1", "cppcc.member.person_registered.v1"} <= addresses
    assert not any(a.startswith("cppcc.testing.") for a in addresses)
