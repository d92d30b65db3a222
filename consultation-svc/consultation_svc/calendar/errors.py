"""The calendar context's errors (Chinese and English), codes `calendar.<what>`."""

from cppcc_common.errors import NotFound
from cppcc_common.text import Text


class FeedNotFound(NotFound):
    """A secret never issued, rotated away or revoked: the same 404, whichever."""

    code = "calendar.feed_not_found"
    detail = Text("日历订阅链接无效或已撤销。", "The calendar link is invalid or was revoked.")
