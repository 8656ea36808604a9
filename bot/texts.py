"""Every sentence the bot says to a person, in one place (STYLE.md, habit 7).

Tests import these constants instead of retyping them, so a reworded message cannot silently
break an assertion or leave one that can never fail.
"""

from __future__ import annotations

APP_NAME = "senbot"

WELCOME_TITLE = "Welcome to senbot"
WELCOME_BODY = (
    "I help you run SEN support from Teams: log interventions, ask for specialist input, "
    "keep plans and reviews on track. Everything you record here is stored securely for your school."
)
WELCOME_ROLES = "You are signed in as {name} ({roles}) at {school}."
HELP_TITLE = "What I can do"
HELP_FOOTER = "Type a command, or use the buttons. Pupil details are only shown in this 1:1 chat."

NOT_IN_DIRECTORY = (
    "I don't know you yet, so I can't show you any pupil information. "
    "Please ask your school's SENCO or senbot administrator to add you to the staff directory."
)
NOT_IN_DIRECTORY_CONTACT = "Administrators for your school: {contacts}."
UNKNOWN_COMMAND = "Sorry, I don't know the command \u201c{command}\u201d. Type **help** to see what I can do."
EMPTY_MESSAGE = "Type **help** to see what I can do."
UNKNOWN_ACTION = (
    "That card is out of date or was not recognised, so nothing was changed. Type **help** to start again."
)
PERSONAL_ONLY = (
    "Pupil information is only shared in a 1:1 chat with me. "
    "Open a chat with senbot and type **{command}** there."
)
NOT_ALLOWED = "Sorry, your role doesn't allow that. Ask your SENCO if you think it should."
UNEXPECTED_ERROR = (
    "Something went wrong on our side and nothing was changed. Please try again in a minute. "
    "If it keeps happening, quote reference {correlation_id} to your administrator."
)

# --- digest ---
DIGEST_SUMMARY = "The weekly SEN digest: this week, last week or a week like 2026-W47"
DIGEST_USAGE = "digest [last | 2026-W47]"
DIGEST_TITLE = "Weekly SEN digest: {school}"
DIGEST_TRUST_TITLE = "Weekly SEN digest: your schools"
DIGEST_WEEK = "Week {label}: {start} to {end}"
DIGEST_WEEK_IN_PROGRESS = "This week so far (to {as_of})."
DIGEST_CLASSES_ONLY = "For the pupils in your classes."
DIGEST_EMPTY = (
    "Nothing was recorded this week: no pupils on the SEN register, no support logged, no reviews or "
    "referrals. When staff start logging in senbot, this digest will fill in by itself."
)
DIGEST_REGISTER = "SEN register"
DIGEST_REGISTER_TOTAL = "{k} on SEN support (K), {e} with an EHC plan (E)"
DIGEST_REGISTER_AREA = "K {k} · E {e}"
DIGEST_CHANGES = "This week: {added} added, {removed} removed, {changed} moved between K and E."
DIGEST_SUPPORT = "Support delivered"
DIGEST_SUPPORT_TOTAL = "{sessions} sessions, {hours} pupil-hours"
DIGEST_SUPPORT_LINE = "{sessions} sessions · {hours} pupil-hours"
DIGEST_MORE_PROVISIONS = "and {n} more provisions"
DIGEST_NO_SUPPORT = "{n} pupils on the register have had no support logged for 4 weeks."
DIGEST_CHART_TITLE = "Pupil-hours of support, last 8 weeks"
DIGEST_REVIEWS = "Reviews"
DIGEST_REVIEWS_HELD = "Held this week"
DIGEST_REVIEWS_DUE = "Due next week"
DIGEST_REVIEWS_OVERDUE = "Overdue"
DIGEST_PARENT_TRACK = (
    "{on_track} of {k} pupils on SEN support ({share}) are on track for three parent reviews this year "
    "({expected} expected by now)."
)
DIGEST_REFERRALS = "Referrals"
DIGEST_REFERRALS_DECISION = "Waiting for the SENCO's decision"
DIGEST_REFERRALS_SERVICE = "Waiting for a service"
DIGEST_WAITING = "{n} (oldest {days} days)"
DIGEST_MONEY = "Money"
DIGEST_MONEY_SPENT = "Costed provision since {fy_start}"
DIGEST_MONEY_BUDGET = "Notional SEN budget"
DIGEST_MONEY_BUDGET_NOT_SET = "not set"
DIGEST_MONEY_SHARE = "{spent} ({share} of the budget)"
DIGEST_MONEY_AT_80 = "Pupils at 80% or more of {threshold}"
DIGEST_MONEY_AT_100 = "Pupils at or above {threshold}"
DIGEST_MONEY_NAMES = "Pupils at 80% or more of the threshold (for the SENCO's follow-up):"
DIGEST_MORE_PUPILS = "and {n} more"
DIGEST_TRUST_TOTALS = "All schools"
DIGEST_TRUST_SCHOOL_LINE = (
    "K {k} · E {e} · {sessions} sessions · {hours} pupil-hours · {no_support} without support 4 weeks · "
    "{overdue} reviews overdue · {referrals} referrals waiting"
)
DIGEST_TRUST_ROW = (
    "**{school}**: K {k} · E {e} · {sessions} sessions · {hours} pupil-hours · {no_support} without support "
    "4 weeks · {overdue} reviews overdue · {referrals} referrals waiting"
)
DIGEST_MORE_SCHOOLS = "and {n} more schools"
DIGEST_NO_TRUST_SCHOOLS = "No schools are linked to your account yet. Ask your administrator to add them."
DIGEST_BAD_WEEK = (
    "I couldn't read \u201c{text}\u201d as a week. Type **digest** for this week, **digest last** for last "
    "week, or a week like **digest 2026-W47** (year, W, week number)."
)
DIGEST_FUTURE_WEEK = "Week {label} hasn't started yet. Type **digest** for this week."
