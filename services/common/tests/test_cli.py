"""Operators list dead letters and replay them from a service's command line."""

import json
from pathlib import Path
from typing import Any

import pytest
from mech_support import WidgetChangedV1, widgets
from sqlalchemy import insert, select, text, update

from cppcc_common.change import Change
from cppcc_common.cli import run_cli
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.events import make_event
from cppcc_common.ids import new_id
from cppcc_common.settings import ServiceSettings
from cppcc_common.testing.servers import run_blocking


async def _apply(change: Change, envelope: Any, data: Any) -> None:
    await change.session.execute(
        update(widgets).where(widgets.c.id == data.widget_id).values(applied=widgets.c.applied + 1)
    )


async def test_dead_letters_are_listed_and_replayed_from_the_command_line(
    engine: Any, sessionmaker: Any, mech_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    widget_id, dead_id = new_id(), new_id()
    event = make_event(
        WidgetChangedV1(widget_id=widget_id, name="w"), source="/t", subject=widget_id, orgid=None
    )
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(widgets).values(id=widget_id, name="w"))
        await session.execute(
            text(
                "INSERT INTO dead_letters (id, consumer, event_id, event_type, subject, payload, error, deliveries) "
                "VALUES (:id, 'ops-test', :eid, :type, :type, :payload, 'boom', 5)"
            ),
            {"id": dead_id, "eid": event.id, "type": event.type, "payload": event.to_json().decode()},
        )
    spec = ConsumerSpec(
        name="ops-test", stream="TESTING", subjects=["cppcc.testing.>"], handlers={event.type: _apply}
    )

    def cli(*argv: str) -> None:
        run_cli(
            app_path="unused:app",
            settings=ServiceSettings(database_url=mech_db_url),
            migrations=Path("unused"),
            consumers=[spec],
            argv=list(argv),
        )

    run_blocking(lambda: cli("dead-letters"))
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["id"] for d in listed] == [str(dead_id)] and listed[0]["error"] == "boom"
    with pytest.raises(SystemExit) as done:
        run_blocking(lambda: cli("replay", str(dead_id)))
    assert done.value.code == 0
    async with engine.connect() as conn:
        assert (await conn.execute(select(widgets.c.applied))).scalar_one() == 1
    with pytest.raises(SystemExit) as again:
        run_blocking(lambda: cli("replay", str(dead_id)))
    assert again.value.code == 1  # nothing left to replay
