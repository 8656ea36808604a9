"""Simulated time for jobs: a clock tests move by hand, and a sleep that moves it instead of waiting."""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
from dataclasses import dataclass, field


@dataclass
class FakeClock:
    now: dt.datetime
    _sleepers: list[tuple[dt.datetime, int]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        """Wake sleepers in the order of their wake-up times, moving the clock to each in turn,
        so concurrent sleepers see time as they would have (never all at the latest one)."""
        entry = (self.now + dt.timedelta(seconds=max(0.0, seconds)), next(self._ids))
        heapq.heappush(self._sleepers, entry)
        await asyncio.sleep(0)
        while self._sleepers[0] != entry:  # noqa: ASYNC110 (simulated time: yield until our turn)
            await asyncio.sleep(0)
        heapq.heappop(self._sleepers)
        self.now = max(self.now, entry[0])
