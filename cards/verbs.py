"""Every card action verb, defined once: the card builders put it in the card, the router routes on it."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    HELP = "help"
    # Verbs of later flows are added here as those flows land, each with its handler.
    # log (bot/flows/log.py)
    LOG_START = "log_start"
    LOG_SUBMIT = "log_submit"
    LOG_AGAIN = "log_again"
    LOG_UNDO = "log_undo"
    HISTORY_PAGE = "history_page"
    # pupil (bot/flows/pupil.py)
    PUPIL_SHOW = "pupil_show"
    # provisions (bot/flows/provisions.py)
    PROVISION_NEW = "provision_new"
    PROVISION_EDIT = "provision_edit"
    PROVISION_SAVE = "provision_save"
    PROVISION_RETIRE = "provision_retire"
