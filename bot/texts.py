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

# --- pupils in cards (shared by register, plans, reviews) ---
PUPIL_NEEDED = "Name the pupil, for example **{usage}**."
PUPIL_NOT_FOUND = "I couldn't find a pupil called \u201c{text}\u201d among the pupils you can see."
PUPIL_WHICH = "More than one pupil matches \u201c{text}\u201d: choose one."
OUT_OF_SCOPE = "You can't see that pupil's records, so nothing was changed."
BAD_CARD = "That card's data was not recognised, so nothing was changed. Start again from the command."
TOO_LONG = "At most {limit} characters."
DATE_BAD = "Give a date as YYYY-MM-DD."

# --- register ---
REGISTER_TITLE = "SEN register"
REGISTER_COUNTS = "{total} pupils on the register: {k} on SEN support (K), {e} with an EHC plan (E)."
REGISTER_EMPTY = "No pupils are on the SEN register."
REGISTER_PAGE = "Page {page} of {pages}"
REGISTER_NEXT = "Next"
REGISTER_PREVIOUS = "Previous"
REGISTER_OPEN_HINT = "Choose a pupil to see their entry and history, or type **register <pupil>**."
REGISTER_PUPIL_TITLE = "SEN register: {name}"
REGISTER_NOT_ON = "Not on the SEN register (N)."
REGISTER_CURRENT = "Since {since}: {status}"
REGISTER_FORM_HEADING = "Change the register entry"
REGISTER_ADD = "Add to SEN support"
REGISTER_SAVE = "Save change"
REGISTER_END = "End SEN support"
REGISTER_HISTORY = "History"
REGISTER_SAVED = "The register entry has been updated."
REGISTER_ALREADY = "That change was already recorded, so nothing was changed twice."
REGISTER_STALE = (
    "This pupil's register entry changed after this card was sent. Here it is as it stands now; "
    "nothing was changed."
)
REGISTER_READ_ONLY = "You can view the register; only the SENCO can change it."
REASON_REQUIRED = "Give a reason for the change."
STATUS_UNKNOWN = "Choose a status: N (no SEN), K (SEN support) or E (EHC plan)."
STATUS_S = "Status S (statement) is no longer valid: recode the pupil as K or E."
NEED_REQUIRED = "Choose the primary (rank 1) need: it is required for K and E."
NEED_UNKNOWN = "That need code is not in the current census list."
NEED_SAME = "The secondary (rank 2) need must be different from the primary need."
NSA_ONLY_K = "NSA (no specialist assessment) is only allowed with status K."
TOO_MANY_NEEDS = "At most two needs can be recorded: rank 1 and rank 2."
NO_CHANGE = "That is already the pupil's entry: change the status or a need."
NOT_ON_REGISTER = "This pupil is not on the SEN register, so there is no SEN support to end."
HISTORY_TITLE = "Register history: {name}"
HISTORY_EMPTY = "No register entries have been recorded for this pupil."
HISTORY_LINE = "{started} \u2013 {ended}: {status}. By {by}. Reason: {reason}"
STATUS_LABELS = {"N": "No SEN (N)", "K": "SEN support (K)", "E": "EHC plan (E)"}
NEED_NONE = "(none)"

# --- plans ---
PLAN_TITLE = "Support plan: {name}"
PLAN_NONE = "There is no support plan yet."
PLAN_SUMMARY = "Cycle {cycle} \u00b7 {status} \u00b7 review by {review_on}"
PLAN_OUTCOMES = "Outcomes"
PLAN_STRATEGIES = "Strategies"
PLAN_PROVISIONS = "Provision"
PLAN_PUPIL_VIEWS = "Pupil's views"
PLAN_PARENT_VIEWS = "Parents' views"
PLAN_EDIT = "Edit plan"
PLAN_DRAFT = "Draft a plan"
PLAN_RECORD_REVIEW = "Record review"
PLAN_FORM_TITLE = "Support plan for {name}"
PLAN_FORM_HINT = "1\u20134 SMART outcomes, the support and a review date. Saving makes the plan active."
PLAN_SAVE = "Save plan"
PLAN_SAVED = "The plan has been saved and is active."
PLAN_ALREADY = "That plan was already saved, so nothing was saved twice."
PLAN_STALE = (
    "This plan was changed by someone else after your card was sent. Here is the plan as it stands now; "
    "your changes were not saved."
)
PLAN_READ_ONLY = "You can read this plan; the SENCO or the class teacher can change it."
OUTCOMES_REQUIRED = "Write at least one SMART outcome."
OUTCOME_TOO_LONG = "Each outcome can be at most 500 characters."
PROVISION_UNKNOWN = "Choose provision from your school's catalogue."
REVIEW_DATE_REQUIRED = "A plan needs a review date."
REVIEW_DATE_PAST = "The review date must be in the future."
REVIEW_DATE_FAR = "The review date must be within a year."

# --- reviews ---
REVIEW_FORM_TITLE = "Record a review: {name}"
REVIEW_FORM_HINT = "Cycle {cycle}, due {due_on}. Judge each outcome and agree the next review date."
REVIEW_SAVE = "Record review"
HELD_ON_REQUIRED = "Give the date the review was held."
HELD_ON_FUTURE = "The review can't have been held in the future."
PARENT_REQUIRED = "Say whether a parent or carer attended."
PARENT_WHO_REQUIRED = "Say who attended (for example: mother, father, carer)."
RESULT_REQUIRED = "Judge this outcome: met, partly met or not met."
NEXT_DUE_REQUIRED = "Give the next review date."
NEXT_DUE_AFTER = "The next review must be after the date this review was held."
NEXT_DUE_FAR = "The next review must be within a year of this one."
REVIEW_SAVED = "Review recorded. The next review is due {next_due}."
REVIEW_ALREADY = "That review was already recorded, so nothing was recorded twice."
REVIEW_STALE = (
    "This pupil's plan or review changed after this card was sent. Here it is as it stands now; "
    "nothing was recorded."
)
REVIEW_NO_PLAN = "There is no active support plan to review. Draft one first with **plan**."
NEXT_CYCLE_HEADING = "Start the next cycle"
NEXT_CYCLE_HINT = "Choose the outcomes to carry on into the next plan (those not met are chosen for you)."
NEXT_CYCLE_START = "Start next cycle"
NEXT_CYCLE_STARTED = "Cycle {cycle} has started. Edit the plan to add or change outcomes."
NEXT_CYCLE_STALE = "This plan has already moved on. Here it is as it stands now; nothing was changed."
RESULT_LABELS = {"met": "Met", "partly_met": "Partly met", "not_met": "Not met", "pending": "Not yet judged"}
REVIEWS_TITLE = "Reviews"
REVIEWS_OVERDUE = "Overdue"
REVIEWS_DUE = "Due in the next 14 days"
REVIEWS_NONE_DUE = "No reviews are due in the next 14 days, and none are overdue."
REVIEWS_LINE = "{name} \u00b7 {class_name} \u00b7 due {due_on}"
REVIEWS_PARENTS = "Parent reviews this academic year (since {since}; expected 3)"
REVIEWS_PARENTS_LINE = "{count} of 3"
REVIEWS_MORE = "\u2026and {count} more."
