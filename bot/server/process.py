"""Process-wide tuning for serving, applied by `python app.py` / `senbot serve` and the benchmarks.

Why the garbage collector is tuned: by default a young collection runs every 700 allocations and
each full collection walks every long-lived object (SQLAlchemy's metadata and caches, the SDK's
models, the route table), tens of milliseconds each. Under load those pauses made the slowest 1% of
`help` turns ~40% slower (docs/benchmarks.md). What start-up built lives for the whole process, so it
is frozen out of collection; young collections run less often. Garbage cycles are still collected.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 20, 20)


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
