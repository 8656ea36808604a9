"""Every card action verb, defined once: the card builders put it in the card, the router routes on it."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    HELP = "help"
    # Verbs of later flows are added here as those flows land, each with its handler.
    # refer (bot/flows/referrals.py)
    REFER_OPEN = "refer_open"
    REFER_SUBMIT = "refer_submit"
    REFERRAL_APPROVE = "referral_approve"
    REFERRAL_DECLINE = "referral_decline"
    REFERRAL_ASK = "referral_ask"
    REFERRAL_ANSWER = "referral_answer"
    REFERRAL_REFRESH = "referral_refresh"
    REFERRAL_PROGRESS = "referral_progress"
    REFERRALS_PAGE = "referrals_page"
    SERVICE_ADD = "service_add"
    SERVICE_RETIRE = "service_retire"

    # register
    REGISTER_PAGE = "register_page"
    REGISTER_PUPIL = "register_pupil"
    REGISTER_SAVE = "register_save"
    REGISTER_HISTORY = "register_history"
    # plans
    PLAN_SHOW = "plan_show"
    PLAN_EDIT = "plan_edit"
    PLAN_SAVE = "plan_save"
    # reviews
    REVIEW_START = "review_start"
    REVIEW_SAVE = "review_save"
    REVIEW_NEXT_CYCLE = "review_next_cycle"

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
    # concern (bot/flows/concerns.py)
    CONCERN_OPEN = "concern_open"
    CONCERN_SUBMIT = "concern_submit"
    CONCERN_ACCEPT = "concern_accept"
    CONCERN_DECLINE = "concern_decline"
    CONCERN_REFRESH = "concern_refresh"

    # parents (bot/flows/parents.py)
    TASK_DONE_FORM = "task_done_form"
    TASK_DONE = "task_done"
    CONTACTS_SHOW = "contacts_show"
    CONTACT_SAVE = "contact_save"
    CONTACT_REMOVE = "contact_remove"
    LETTER_PICK = "letter_pick"
    LETTER_MAKE = "letter_make"
    LETTER_TEMPLATE_SAVE = "letter_template_save"
    LETTER_SEND_PREVIEW = "letter_send_preview"
    LETTER_SEND = "letter_send"

    # evidence packs (bot/flows/evidence.py) and EHC needs assessments (bot/flows/ehcna.py)
    EVIDENCE_MAKE = "evidence_make"
    EHCNA_SHOW = "ehcna_show"
    EHCNA_PAGE = "ehcna_page"
    EHCNA_RECORD = "ehcna_record"
    EHCNA_STEP = "ehcna_step"
