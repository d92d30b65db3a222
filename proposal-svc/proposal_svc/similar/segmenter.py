"""Chinese segmentation for the similar-proposal index: rjieba (jieba-rs) with the CPPCC terms of
`data/terms.txt` and the stop words of `data/stopwords.txt`. Pure: no database, no I/O past loading
the two files once.

rjieba over jieba (measured on the labelled set's 200 proposals, docs/proposals.md "Similar
proposals"): the same cuts with the same dictionary, about 17× faster per proposal and 7× faster to
load, so a segmentation costs a fraction of a millisecond in a consumer or a request.
"""

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib.resources import files

import rjieba

# A token with a run of this many digits is a number (a phone number, a year, an amount), not a
# matter: dropped, so neither the score nor a probe of it tells anything about contact details.
_DIGIT_RUN = 3
# tsvector positions stop at 16383; a proposal's body is at most a few thousand characters.
_MAX_POSITION = 16383
# The query: at most this many distinct terms (the title's first, then the body's by frequency).
MAX_QUERY_TERMS = 48


def _lines(name: str) -> list[str]:
    text = files("proposal_svc.similar").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_lines("stopwords.txt"))


@cache
def domain_terms() -> tuple[str, ...]:
    return tuple(_lines("terms.txt"))


@cache
def _cutter() -> Callable[[str, bool], list[str]]:
    # rjieba builds its default instance (the whole dictionary, about 30 MB) as it is imported; a
    # second rjieba.Jieba() held another copy of it (proposal-svc idled at ~196 MB, ~170 without).
    # The terms go into that default instance, which nothing else in the process uses.
    for term in domain_terms():
        rjieba.add_word(term, None, None)
    return rjieba.cut_for_search


def _normalize(text: str) -> str:
    """NFKC (full-width letters and digits to half-width), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _keeps(token: str) -> bool:
    if len(token) < 2 or not all(ch.isalnum() for ch in token):
        return False  # single characters are function words; punctuation and spaces say nothing
    run = 0
    for ch in token:
        run = run + 1 if ch.isdigit() else 0
        if run >= _DIGIT_RUN:
            return False
    return token not in stop_words()


def terms(text: str) -> list[str]:
    """The text's terms in order: search-mode segmentation (a dictionary compound and its parts:
    老旧小区 → 老旧, 小区, 老旧小区), without stop words, single characters and numbers."""
    return [t for t in _cutter()(_normalize(text), True) if _keeps(t)]


def document_terms(title: str, body: Iterable[str]) -> tuple[list[str], list[str]]:
    """The title's terms and the body's (situation and suggestions), each in order."""
    return terms(title), [t for part in body for t in terms(part)]


def tsvector_literal(title_terms: Sequence[str], body_terms: Sequence[str]) -> str:
    """A `tsvector` literal of the terms: the title's with weight A, the body's with weight B, at
    their positions. Built here rather than by `to_tsvector`, whose parser would cut Chinese anew
    (and differently under each database locale); terms are alphanumeric, so nothing needs quoting."""
    positions: dict[str, list[str]] = {}
    for i, term in enumerate(title_terms, start=1):
        positions.setdefault(term, []).append(f"{min(i, _MAX_POSITION)}A")
    offset = len(title_terms)
    for i, term in enumerate(body_terms, start=offset + 1):
        positions.setdefault(term, []).append(f"{min(i, _MAX_POSITION)}B")
    return " ".join(f"'{term}':{','.join(p[:256])}" for term, p in positions.items())


def query_terms(title_terms: Sequence[str], body_terms: Sequence[str]) -> list[str]:
    """The distinct terms a similarity query asks for: the title's first, then the body's most
    frequent, at most MAX_QUERY_TERMS."""
    chosen = list(dict.fromkeys(title_terms))
    counts: dict[str, int] = {}
    for term in body_terms:
        counts[term] = counts.get(term, 0) + 1
    for term, _ in sorted(counts.items(), key=lambda kv: -kv[1]):
        if term not in chosen:
            chosen.append(term)
    return chosen[:MAX_QUERY_TERMS]


def tsquery_literal(query: Sequence[str]) -> str:
    """A `tsquery` literal matching any of the terms (OR); empty when there are none."""
    return " | ".join(f"'{term}'" for term in query)


def tsquery_all(query: Sequence[str]) -> str:
    """A `tsquery` literal matching only documents with every term (AND); empty when none."""
    return " & ".join(f"'{term}'" for term in dict.fromkeys(query))
