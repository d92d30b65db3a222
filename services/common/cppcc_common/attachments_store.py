"""Where attachment bytes live (`cppcc_common.attachments` holds the rules).

The bytes: `AttachmentStore` and its default `DatabaseStore`, a `bytea` row of the service's own
`attachment_blobs` table (`add_blob_table(metadata)`, `create_blob_table_v1()` in a migration), so
an attachment commits, replicates and is backed up with its owner.

An S3-compatible object store implements the same three calls (not built; what it would do):

- `put`: `PutObject` under a key of its own making (`{org_id}/{uuid}`), with `ContentType`, the
  `x-amz-checksum-sha256` header (the base64 of `sha256`, so the store refuses bytes damaged on the
  way) and server-side encryption; it answers the key.
- `get`: `GetObject` of the key (the body may be streamed to the client instead of read whole).
- `delete`: `DeleteObject` of the key.

Unlike the database store it does not commit or roll back with the request's transaction. So `put`
runs before the metadata row commits and a rolled-back request leaves an object that no row names;
and `delete` must not remove bytes whose row a rollback keeps. Both are settled by one sweep: delete
the objects older than an hour that no `attachments.storage_key` names (a bucket listing against the
table), run by a job beside the service; `delete` itself then does nothing, or tags the object for
the sweep. Backups are the bucket's versioning or replication, no longer the database's.
"""

from typing import Protocol
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.ids import new_id

BLOB_TABLE = "attachment_blobs"


def _blob_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    ]


def add_blob_table(metadata: sa.MetaData) -> sa.Table:
    """Declares `attachment_blobs` (the database store's bytes) in a service's metadata."""
    return sa.Table(BLOB_TABLE, metadata, *_blob_columns())


def create_blob_table_v1() -> None:
    """Alembic operations creating the table (call from a service migration)."""
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.create_table(
        BLOB_TABLE, *_blob_columns(), sa.PrimaryKeyConstraint("key", name=op.f("pk_attachment_blobs"))
    )
    # Stored as they come: PDFs, images and Office files are compressed already.
    op.execute("ALTER TABLE attachment_blobs ALTER COLUMN content SET STORAGE EXTERNAL")


def drop_blob_table_v1() -> None:
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.drop_table(BLOB_TABLE)


_BLOBS = sa.table(
    BLOB_TABLE,
    sa.column("key", sa.String),
    sa.column("org_id", sa.Uuid),
    sa.column("content", sa.LargeBinary),
)


class AttachmentStore(Protocol):
    """Stores and returns an attachment's bytes under a key the store chooses."""

    async def put(self, content: bytes, *, org_id: UUID, content_type: str, sha256: str) -> str:
        """Stores `content` and answers its key."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Removes the bytes under `key` (nothing when there are none)."""
        ...


class DatabaseStore:
    """The default store: a `bytea` row of `attachment_blobs`, in the request's own transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, content: bytes, *, org_id: UUID, content_type: str, sha256: str) -> str:
        key = new_id().hex
        await self.session.execute(sa.insert(_BLOBS).values(key=key, org_id=org_id, content=content))
        return key

    async def get(self, key: str) -> bytes | None:
        query = sa.select(_BLOBS.c.content).where(_BLOBS.c.key == key)
        content: bytes | None = (await self.session.execute(query)).scalar_one_or_none()
        return content

    async def delete(self, key: str) -> None:
        await self.session.execute(sa.delete(_BLOBS).where(_BLOBS.c.key == key))


def store_for(session: AsyncSession) -> AttachmentStore:
    """The store of this deployment for a unit of work (an object store would be chosen here)."""
    return DatabaseStore(session)
