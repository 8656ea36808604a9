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

# --- reminders ---
REMINDER_SENCO_TITLE = "Reviews and referrals to chase"
REMINDER_TEACHER_TITLE = "Reviews coming up for your pupils"
REMINDER_INTRO = "As of {date}. Items marked **new** are new since my last reminder."
REMINDER_OVERDUE = "Overdue reviews ({count})"
REMINDER_DUE_TODAY = "Reviews due today ({count})"
REMINDER_DUE_SOON = "Reviews due in the next {days} school days ({count})"
REMINDER_STALLED = "Referrals not moved for {weeks} weeks or more ({count})"
REMINDER_REVIEW_LINE = "due {due}{new}"
REMINDER_REFERRAL_LINE = "{service}: {status} since {since}{new}"
REMINDER_NEW = " · **new**"
REMINDER_MORE = "…and {count} more. Type **reviews** to see them all."
REMINDER_MORE_REFERRALS = "…and {count} more. Type **referrals** to see them all."
REMINDER_FOOTER = "I send this once for each new item: nothing is repeated tomorrow unless it changes stage."
