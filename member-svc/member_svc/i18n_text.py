"""A tiny helper for inline bilingual detail texts."""

from cppcc_common.i18n import Text


def t(zh: str, en: str) -> Text:
    return Text(zh, en)
