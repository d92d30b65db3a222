"""Test-only schema and event contract for the shared mechanisms' tests."""

from uuid import UUID

import sqlalchemy as sa
from nats.js.api import StorageType, StreamConfig

from cppcc_common.db import make_metadata
from cppcc_common.events import EventData, register
from cppcc_common.messaging_schema import add_messaging_tables

metadata = make_metadata()
add_messaging_tables(metadata)
widgets = sa.Table(
    "widgets",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("applied", sa.Integer, nullable=False, server_default="0"),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    sa.Column("fired", sa.Integer, nullable=False, server_default="0"),
)


@register("cppcc.testing.widget_changed.v1")
class WidgetChangedV1(EventData):
    widget_id: UUID
    name: str


TEST_STREAM = StreamConfig(
    name="TESTING", subjects=["cppcc.testing.>"], storage=StorageType.FILE, duplicate_window=120.0
)
