"""Load benchmarks: `python -m benchmarks.messages` (what `make bench` runs)."""
