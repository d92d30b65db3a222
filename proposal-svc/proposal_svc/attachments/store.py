"""Where attachment bytes live: the shared `AttachmentStore` and its default `DatabaseStore`
(`cppcc_common.attachments_store`, which also tells what an object store would do)."""

from cppcc_common.attachments_store import AttachmentStore, DatabaseStore, store_for

__all__ = ["AttachmentStore", "DatabaseStore", "store_for"]
