"""How similar two proposals are: pure functions over their segmented terms (no I/O).

The score (0–1) blends the cosine of the two term-frequency vectors — a title term counts
TITLE_WEIGHT times, so a shared matter named in both titles weighs most — with the trigram
similarity of the titles that PostgreSQL's pg_trgm computed. Which blend, and the floor below which
nothing is suggested, were chosen on the labelled set (tests/data/similar_proposals.json,
test_similar_quality.py); docs/proposals.md "Similar proposals" has the figures.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

TITLE_WEIGHT = 1.0
COSINE_SHARE = 0.8  # the rest is the titles' trigram similarity
MIN_SCORE = 0.3  # below it a proposal is not suggested at all
MAX_RESULTS = 10


@dataclass(frozen=True)
class Terms:
    title: Sequence[str]
    body: Sequence[str]


def vector(terms: Terms) -> dict[str, float]:
    weights: dict[str, float] = {}
    for term in terms.title:
        weights[term] = weights.get(term, 0.0) + TITLE_WEIGHT
    for term in terms.body:
        weights[term] = weights.get(term, 0.0) + 1.0
    return weights


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(weight * large.get(term, 0.0) for term, weight in small.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def score(query: dict[str, float], candidate: Terms, title_similarity: float) -> float:
    """The similarity of a candidate to the query, 0–1, rounded to three places."""
    blended = COSINE_SHARE * cosine(query, vector(candidate)) + (1 - COSINE_SHARE) * title_similarity
    return round(min(max(blended, 0.0), 1.0), 3)
