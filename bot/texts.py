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

# --- log ---
LOG_SUMMARY = "Log an intervention session"
LOG_BUTTON = "Log intervention"
LOG_TITLE = "Log an intervention"
LOG_INTRO = (
    "One session, for one pupil or a whole group. Everyone you pick is present unless you mark them absent."
)
LOG_NO_PROVISIONS = (
    "Your school has no provisions in its catalogue yet. Ask your SENCO to add some with **provisions**."
)
LOG_NO_PUPILS = (
    "You have no pupils in your classes yet, so there is nobody to log a session for. Ask your SENCO."
)
LOG_LABEL_PROVISION = "Provision"
LOG_LABEL_DATE = "Date"
LOG_LABEL_MINUTES = "Minutes (leave blank for the provision's usual length)"
LOG_LABEL_PUPILS = "Pupils"
LOG_LABEL_ABSENT = "Absent (any of the pupils above who missed the session)"
LOG_LABEL_NOTE = "Progress note for the session"
LOG_LABEL_PUPIL_NOTES = "Notes per pupil (optional, one line each: Name: note)"
LOG_PROVISION_CHOICE = "{name} ({minutes} min, groups of {group})"
LOG_SUBMIT_BUTTON = "Log session"
LOG_FIX_BELOW = "Please check the fields marked below; nothing has been saved yet."
ERR_PROVISION_MISSING = "Choose a provision."
ERR_PROVISION_UNKNOWN = "That provision is not in your school's current catalogue. Choose another."
ERR_DATE_MISSING = "Choose the date of the session."
ERR_DATE_MALFORMED = "Give the date as YYYY-MM-DD."
ERR_DATE_FUTURE = "The date can't be in the future."
ERR_DATE_BEFORE_YEAR = "The date can't be before the start of the academic year ({start})."
ERR_MINUTES = "Minutes must be a whole number from 1 to 600."
ERR_PUPILS_MISSING = "Choose at least one pupil."
ERR_PUPILS_MALFORMED = "The pupil list was not recognised. Choose the pupils again."
ERR_PUPILS_OUT_OF_SCOPE = "Some of these pupils are not in your classes, so the session was not logged."
ERR_GROUP_TOO_BIG = "A group can have at most {max} pupils."
ERR_ABSENT_NOT_CHOSEN = "Only pupils chosen above can be marked absent."
ERR_NOTE_TOO_LONG = "Keep the note to {max} characters (it has {length})."
ERR_FIELD_WRONG_TYPE = "This field was not recognised. Fill it in again."
ERR_PUPIL_NOTE_NAME = "\u201c{name}\u201d does not match exactly one chosen pupil. Write their name as shown."
ERR_PUPIL_NOTE_LINE = "Write each line as Name: note."
LOG_DONE_TITLE = "Session logged"
LOG_DONE_UNDONE = "This session was undone, so it no longer counts."
LOG_FACT_PROVISION = "Provision"
LOG_FACT_DATE = "Date"
LOG_FACT_MINUTES = "Minutes"
LOG_FACT_PRESENT = "Present"
LOG_FACT_ABSENT = "Absent"
LOG_FACT_NOTE = "Note"
LOG_COST_HEADING = "Cost per pupil"
LOG_AGAIN_BUTTON = "Log another like this"
LOG_UNDO_BUTTON = "Undo"
LOG_UNDONE = "Session undone: it no longer counts in the provision map. Nothing else was changed."
LOG_ALREADY_UNDONE = "That session was already undone."
LOG_UNDO_NOT_YOURS = "Only the person who logged a session can undo it. Ask your SENCO if it is wrong."
LOG_UNDO_TOO_LATE = "A session can only be undone on the day it was logged. Ask your SENCO to correct it."
LOG_SESSION_UNKNOWN = "That session was not found, so nothing was changed."
LOG_KEY_MISSING = "That card is out of date, so nothing was saved. Type **log** to start again."
HISTORY_SUMMARY = "Your last logged sessions"
HISTORY_TITLE = "Sessions you logged"
HISTORY_EMPTY = "You have not logged any sessions yet. Type **log** to log one."
HISTORY_LINE = "{date} \u00b7 {provision} \u00b7 {minutes} min \u00b7 {present} of {pupils} present"
HISTORY_UNDONE_MARK = " (undone)"
HISTORY_PAGE = "Page {page}"
HISTORY_NEXT = "Older"
HISTORY_PREVIOUS = "Newer"
HISTORY_BAD_PAGE = "That page was not recognised. Type **history** to start again."

# --- pupil ---
PUPIL_SUMMARY = "A pupil's summary: needs, plan, recent sessions"
PUPIL_USAGE = "pupil <name>"
PUPIL_ASK_NAME = "Type **pupil** and part of a name, e.g. **pupil amelia**."
PUPIL_NONE = (
    "No pupil in your classes matches \u201c{query}\u201d. Check the spelling, or try part of the name."
)
PUPIL_PICK_TITLE = "Which pupil?"
PUPIL_PICK_MORE = "Showing the first {shown} matches: type more of the name to narrow it down."
PUPIL_NOT_IN_SCOPE = "That pupil is not in your classes, so I can't show them."
PUPIL_YEAR = "Year {year}"
PUPIL_RECEPTION = "Reception"
PUPIL_STATUS = "SEN status"
PUPIL_NEEDS = "Needs"
PUPIL_NO_NEEDS = "None recorded"
PUPIL_PLAN_HEADING = "Current plan outcomes"
PUPIL_NO_PLAN = "No current plan."
PUPIL_SESSIONS_HEADING = "Last sessions"
PUPIL_NO_SESSIONS = "No sessions logged yet."
PUPIL_SESSION_LINE = "{date} \u00b7 {provision} \u00b7 {minutes} min \u00b7 {attendance}"
PUPIL_PRESENT = "present"
PUPIL_ABSENT = "absent"
PUPIL_TERM_HOURS = "Hours this term"
PUPIL_TERM_COST = "Cost this term"
STATUS_WORDS = {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}

# --- provisions ---
PROVISIONS_SUMMARY = "The school's provision catalogue (list, add, edit, retire)"
PROVISIONS_TITLE = "Provision catalogue"
PROVISIONS_EMPTY = "The catalogue is empty. Add the interventions your school runs."
PROVISIONS_LINE = (
    "{minutes} min \u00b7 groups of {group} \u00b7 staff {hourly}/hour \u00b7 {per_pupil} per pupil"
)
PROVISIONS_RETIRED = "Retired: kept on past sessions, no longer offered."
PROVISIONS_ADD = "Add a provision"
PROVISIONS_EDIT = "Edit"
PROVISIONS_RETIRE = "Retire"
PROVISIONS_FORM_NEW = "New provision"
PROVISIONS_FORM_EDIT = "Edit provision"
PROVISIONS_SAVE = "Save"
PROVISIONS_LABEL_NAME = "Name"
PROVISIONS_LABEL_AREA = "Area of need (optional)"
PROVISIONS_LABEL_MINUTES = "Usual minutes per session"
PROVISIONS_LABEL_GROUP = "Usual group size"
PROVISIONS_LABEL_HOURLY = "Staff cost per hour (\u00a3)"
PROVISIONS_LABEL_PER_PUPIL = "Materials cost per pupil per session (\u00a3)"
PROVISIONS_SAVED = (
    "Saved \u201c{name}\u201d. Rates apply to sessions logged from now on; past sessions keep theirs."
)
PROVISIONS_RETIRED_DONE = (
    "Retired \u201c{name}\u201d: it stays on past sessions and is no longer offered in **log**."
)
PROVISIONS_UNKNOWN = "That provision was not found, so nothing was changed."
ERR_NAME_MISSING = "Give the provision a name."
ERR_NAME_TOO_LONG = "Keep the name to {max} characters."
ERR_NAME_TAKEN = "Your school already has a provision with this name."
ERR_AREA_TOO_LONG = "Keep the area to {max} characters."
ERR_GROUP = "Group size must be a whole number from 1 to 30."
ERR_MONEY = "Give an amount in pounds, e.g. 15.50 (up to \u00a31,000)."
