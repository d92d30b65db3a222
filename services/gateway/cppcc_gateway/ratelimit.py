"""In-process token buckets: per principal for API calls, per IP for logins.

Per replica: with N gateway replicas the effective limit is N× — acceptable for abuse damping;
the accounts' own lock-out (member-svc) is the hard limit for password guessing.

The table is bounded. When it is full, buckets that have refilled completely are dropped first
(forgetting them changes nothing); only if that frees too little are the least recently used
dropped. A flood of new keys never resets every bucket at once, and a client that keeps trying
keeps its (empty) bucket.
"""

import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(self, rate_per_second: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.max_keys = max_keys
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()  # least recently used first

    def take(self, key: str, now: float | None = None) -> float:
        """0 if allowed, else the seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._evict(now)
            bucket = self.buckets[key] = _Bucket(float(self.burst), now)
        else:
            self.buckets.move_to_end(key)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _evict(self, now: float) -> None:
        """Frees at least a tenth of the table (so this scan runs at most once per that many keys)."""
        full = [k for k, b in self.buckets.items() if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for key in full:
            del self.buckets[key]
        room = max(1, self.max_keys // 10)
        while self.buckets and len(self.buckets) > self.max_keys - room:
            self.buckets.popitem(last=False)
