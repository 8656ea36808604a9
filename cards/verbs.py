"""Every card action verb, defined once: the card builders put it in the card, the router routes on it."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    HELP = "help"
    # Verbs of later flows are added here as those flows land, each with its handler.
