"""Adaptive Card builders: pure functions, data in, card dict out (no I/O, no turn context)."""
