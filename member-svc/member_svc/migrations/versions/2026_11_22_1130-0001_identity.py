"""Organizations, people, refresh tokens, signing keys; messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cppcc_common.messaging_schema import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables_v1()
    op.create_table(
        "organizations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column(
            "parent_id",
            UUID(as_uuid=True),
            sa.ForeignKey("organizations.id", name="fk_organizations_parent_id_organizations"),
        ),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "people",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "org_id",
            UUID(as_uuid=True),
            sa.ForeignKey("organizations.id", name="fk_people_org_id_organizations"),
            nullable=False,
        ),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("roles", sa.ARRAY(sa.String(20)), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(20)), nullable=False),
        sa.Column("unit_id", UUID(as_uuid=True)),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("phone", name="uq_people_phone"),
    )
    op.create_index("ix_people_org_id", "people", ["org_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "person_id",
            UUID(as_uuid=True),
            sa.ForeignKey("people.id", name="fk_refresh_tokens_person_id_people"),
            nullable=False,
        ),
        sa.Column("family_id", UUID(as_uuid=True), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("revoked_at", TS),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_person_id", "refresh_tokens", ["person_id"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("public_jwk", JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("not_after", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("signing_keys", "refresh_tokens", "people", "organizations"):
        op.drop_table(table)
    drop_messaging_tables_v1()
