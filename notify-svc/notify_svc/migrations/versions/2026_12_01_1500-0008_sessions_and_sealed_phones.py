"""Push devices know the sign-in session they were registered in (forgotten when it ends), and
people's SMS numbers are kept encrypted (AES-GCM under NOTIFY_WEBHOOK_KEY, bound to the person).

Expand only: the plaintext `sms_phone` column stays (always NULL from now on) so that pods of the
previous release keep working during a rollout; what they write there is encrypted by the worker
(`ChannelWorker.seal_plain_phones`). Existing numbers are encrypted here, which needs the key in
the migrating process's environment (`NOTIFY_WEBHOOK_KEY`); without it the migration stops
rather than leave numbers in plain text.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import os

import sqlalchemy as sa
from alembic import op

from notify_svc import crypto

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY_VARIABLE = "NOTIFY_WEBHOOK_KEY"


def _key() -> bytes:
    key = os.environ.get(KEY_VARIABLE)
    if not key:
        raise RuntimeError(
            f"SMS numbers are kept in plain text: set {KEY_VARIABLE} (the key notify-svc runs with) "
            "so that this migration encrypts them"
        )
    return crypto.decode_key(key)


def upgrade() -> None:
    op.add_column("devices", sa.Column("session_id", sa.Uuid(), nullable=True))
    op.create_index("ix_devices_person_session", "devices", ["person_id", "session_id"])
    op.add_column("channel_preferences", sa.Column("sms_phone_encrypted", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT person_id, sms_phone FROM channel_preferences WHERE sms_phone IS NOT NULL")
    ).all()
    if rows:
        key = _key()
        for person_id, phone in rows:
            conn.execute(
                sa.text(
                    "UPDATE channel_preferences SET sms_phone_encrypted = :sealed, sms_phone = NULL"
                    " WHERE person_id = :person"
                ),
                {"sealed": crypto.seal_phone(key, person_id, phone), "person": person_id},
            )


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT person_id, sms_phone_encrypted FROM channel_preferences"
            " WHERE sms_phone_encrypted IS NOT NULL"
        )
    ).all()
    if rows:
        key = _key()
        for person_id, sealed in rows:
            conn.execute(
                sa.text("UPDATE channel_preferences SET sms_phone = :phone WHERE person_id = :person"),
                {"phone": crypto.unseal_phone(key, person_id, bytes(sealed)), "person": person_id},
            )
    op.drop_column("channel_preferences", "sms_phone_encrypted")
    op.drop_index("ix_devices_person_session", table_name="devices")
    op.drop_column("devices", "session_id")
