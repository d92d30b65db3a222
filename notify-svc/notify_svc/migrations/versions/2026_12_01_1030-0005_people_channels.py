"""People's channels: preferences, push devices, and the push and SMS delivery queue (issue 10).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _uuid(name: str, *args: object, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UUID(as_uuid=True), *args, **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    op.create_table(
        "channel_preferences",
        _uuid("person_id", primary_key=True),
        _uuid("org_id", nullable=False),
        sa.Column("locale", sa.String(5), nullable=False),
        sa.Column("quiet_enabled", sa.Boolean, nullable=False),
        sa.Column("quiet_start", sa.Time, nullable=False),
        sa.Column("quiet_end", sa.Time, nullable=False),
        sa.Column("sms_phone", sa.String(20)),
        sa.Column("categories", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "devices",
        _uuid("id", primary_key=True),
        _uuid("org_id", nullable=False),
        _uuid("person_id", nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("vendor", sa.String(20), nullable=False),
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.UniqueConstraint("vendor", "token", name="uq_devices_vendor_token"),
    )
    op.create_index("ix_devices_person", "devices", ["person_id", "registered_at"])
    op.create_table(
        "deliveries",
        _uuid("id", primary_key=True),
        _uuid("org_id", nullable=False),
        _uuid("person_id", nullable=False),
        _uuid("source_event_id", nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        _uuid("device_id"),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("locale", sa.String(5), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("object_type", sa.String(40)),
        _uuid("object_id"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_error", sa.String(200)),
        sa.Column("sent_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint(
            "source_event_id",
            "person_id",
            "category",
            "channel",
            "target",
            name="uq_deliveries_notice_target",
        ),
    )
    op.create_index(
        "ix_deliveries_due", "deliveries", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index("ix_deliveries_person", "deliveries", ["person_id", "created_at"])
    op.create_table(
        "delivery_attempts",
        _uuid("id", primary_key=True),
        _uuid("delivery_id", sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("attempted_at", TS, nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
    )
    op.create_index("ix_delivery_attempts_delivery", "delivery_attempts", ["delivery_id", "attempted_at"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("devices")
    op.drop_table("channel_preferences")
