"""Scheduled work: APScheduler wakes each process; the planners write outbox rows and the dispatcher sends
them."""
