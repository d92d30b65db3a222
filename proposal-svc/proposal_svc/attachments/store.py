"""Where attachment bytes live: the `AttachmentStore` interface and its default, the service's own
PostgreSQL, so that an attachment commits, replicates and is backed up with its proposal.

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

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.ids import new_id
from proposal_svc.attachments.models import AttachmentBlob


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
        self.session.add(AttachmentBlob(key=key, org_id=org_id, content=content))
        return key

    async def get(self, key: str) -> bytes | None:
        query = select(AttachmentBlob.content).where(AttachmentBlob.key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def delete(self, key: str) -> None:
        await self.session.execute(delete(AttachmentBlob).where(AttachmentBlob.key == key))


def store_for(session: AsyncSession) -> AttachmentStore:
    """The store of this deployment for a unit of work (an object store would be chosen here)."""
    return DatabaseStore(session)
