"""Per-person flood limit: one account sending hundreds of updates must not starve everyone else.

Updates are handled one at a time (``concurrent_updates(False)``), so every update a flooder sends
delays all other users. A token bucket per Telegram user (``burst`` updates at once, refilled at
``rate`` per second) decides before any handler or database work whether an update is handled;
the person is told once per flood, not once per dropped update.

The buckets live in memory: each bot process limits what reaches it, which is what protects that
process's queue. Time comes from the injectable clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.clock import Clock

#: Idle buckets are forgotten once there are more than this many (a full bucket carries no state).
PRUNE_AT = 10_000


class Verdict(Enum):
    HANDLE = "handle"
    #: Dropped, and this is the first drop of this flood: say "slow down" once.
    WARN = "warn"
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    warned: bool = False


class FloodGate:
    def __init__(self, clock: Clock, *, burst: int, rate: float) -> None:
        self.clock = clock
        self.burst = burst
        self.rate = rate
        self._buckets: dict[int, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.burst > 0 and self.rate > 0

    def check(self, user_id: int) -> Verdict:
        """Take one token for this update, or say how to drop it."""
        if not self.enabled:
            return Verdict.HANDLE
        now = self.clock.now()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= PRUNE_AT:
                self._prune(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        elapsed = max((now - bucket.updated).total_seconds(), 0.0)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return Verdict.HANDLE
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _prune(self, now: datetime) -> None:
        full = [
            uid
            for uid, b in self._buckets.items()
            if b.tokens + (now - b.updated).total_seconds() * self.rate >= self.burst
        ]
        for uid in full:
            del self._buckets[uid]
