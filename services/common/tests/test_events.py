import json
from uuid import uuid4

import pytest
from mech_support import WidgetChangedV1

from cppcc_common.events import (
    EventData,
    MalformedEvent,
    UnknownEventType,
    make_event,
    parse_event,
    register,
    registered_types,
)


def test_envelope_is_cloudevents_with_extensions_and_round_trips() -> None:
    org, actor, widget = uuid4(), uuid4(), uuid4()
    event = make_event(
        WidgetChangedV1(widget_id=widget, name="甲"),
        source="/test-svc",
        subject=widget,
        orgid=org,
        actorid=actor,
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    raw = json.loads(event.to_json())
    assert raw["specversion"] == "1.0"
    assert raw["type"] == "cppcc.testing.widget_changed.v1"
    assert raw["source"] == "/test-svc" and raw["subject"] == str(widget)
    assert raw["orgid"] == str(org) and raw["actorid"] == str(actor)
    assert raw["datacontenttype"] == "application/json"
    assert event.id.version == 7
    envelope, data = parse_event(event.to_json())
    assert envelope.id == event.id and data == WidgetChangedV1(widget_id=widget, name="甲")


def test_registry_rejects_unknown_types() -> None:
    event = make_event(WidgetChangedV1(widget_id=uuid4(), name="x"), source="/t", subject="s", orgid=None)
    raw = json.loads(event.to_json())
    raw["type"] = "cppcc.testing.never_registered.v1"
    with pytest.raises(UnknownEventType):
        parse_event(json.dumps(raw))


def test_malformed_payloads_are_refused() -> None:
    with pytest.raises(MalformedEvent):
        parse_event(b"not json")
    event = make_event(WidgetChangedV1(widget_id=uuid4(), name="x"), source="/t", subject="s", orgid=None)
    raw = json.loads(event.to_json())
    raw["data"]["unexpected"] = 1
    with pytest.raises(MalformedEvent):
        parse_event(json.dumps(raw))


def test_type_names_must_be_versioned() -> None:
    with pytest.raises(ValueError):
        register("cppcc.testing.unversioned")


def test_every_shared_contract_is_registered() -> None:
    import cppcc_common.contracts  # noqa: F401

    types = registered_types()
    assert "cppcc.proposal.submitted.v1" in types
    assert "cppcc.member.person_registered.v1" in types
    assert all(issubclass(t, EventData) for t in types.values())
