"""Every sentence the bot says to a person, in one place (docs/design.md, "How the code reads").

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

# --- refer ---
REFER_TITLE = "Ask for specialist input"
REFER_INTRO = (
    "Your SENCO approves every referral before it goes to a service. "
    "Parental consent is needed before a referral can be sent."
)
REFER_CONSENT_WHY = (
    "A referral cannot be sent without the consent of a parent or carer: record the date they agreed "
    "and who gave it."
)
REFER_NO_PUPILS = "There are no pupils in your classes to refer."
REFER_NO_MATCH = "No pupil in your classes matches \u201c{text}\u201d. Pick one from the list."
REFER_SEVERAL_MATCH = "Several pupils match \u201c{text}\u201d: pick one from the list."
REFER_LONG_LIST = (
    "Only pupils on the SEN register are listed. To refer another pupil, type **refer** and their name."
)
REFER_TRIED_NONE = ""
REFER_TRIED_LINE = "{provision}: {sessions} sessions, {minutes} minutes"
REFER_TRIED_SINCE = "Interventions logged since {since}:"
REFER_NO_SENCO = "Your school has no SENCO in senbot yet, so there is nobody to approve a referral."
REFER_SENT = "Sent to {sencos} for approval."
REFER_REPLAYED = "This referral was already sent; nothing was sent twice."
FIELD_REQUIRED = "Please fill this in."
FIELD_TOO_LONG = "Please keep this under {limit} characters."
FIELD_NOT_TEXT = "This must be text."
FIELD_BAD_DATE = "Please pick a date from the calendar."
FIELD_FUTURE_DATE = "This date is in the future."
FIELD_BEFORE = "This date is before the previous step ({date})."
FIELD_BAD_CHOICE = "Please pick one of the options."
FIELD_BAD_NUMBER = "Please give a whole number between {low} and {high}."
PUPIL_OUT_OF_SCOPE = "You can only refer pupils in your classes; nothing was sent."
SERVICE_UNKNOWN = "That service is not on your school's list (or has been retired). Pick one from the list."
CARD_BROKEN = "That card was incomplete, so nothing was changed. Type **{command}** to start again."

APPROVAL_TITLE = "Referral for approval"
APPROVE = "Approve"
DECLINE = "Decline"
ASK_MORE = "Ask for more information"
DECLINE_REASON = "Why is it declined? (the requester will see this)"
ASK_QUESTION = "What would you like to know?"
REFERRAL_STATUS_TITLE = "Referral #{id}"
REFERRAL_STATUS_WORDS = {
    "requested": "Waiting for the SENCO's approval",
    "more_info": "The SENCO asked for more information",
    "approved": "Approved",
    "declined": "Declined",
    "sent": "Sent to the service",
    "accepted": "Accepted by the service",
    "assessed": "Assessed",
    "report_received": "Report received",
    "closed": "Closed",
}
DECIDED_BY = "{status} by {name} on {when}"
STALE_CARD = "This card was out of date, so nothing was changed. Here is where the referral stands now."
DECISION_REFUSED = "Only a SENCO of the pupil's school can decide on this referral. Nothing was changed."
REFERRAL_NOT_FOUND = "There is no referral #{id} that you can see."
REFERRAL_DECIDED_NOTICE = "Your referral for {pupil} to {service}: {decision}."
REFERRAL_APPROVED_WORDS = "approved by {name}"
REFERRAL_DECLINED_WORDS = "declined by {name}. Reason: {reason}"
QUESTION_TITLE = "{name} needs more information"
QUESTION_INTRO = "About your referral for {pupil} to {service}:"
ANSWER_LABEL = "Your answer"
ANSWER_SEND = "Send answer"
ANSWER_SENT = "Your answer went back to {sencos}."
ANSWER_REFUSED = "Only the person who made this referral can answer the question. Nothing was changed."

PROGRESS_TITLE = "Move the referral on"
PROGRESS_ACTIONS = {
    "sent": "Mark as sent to the service",
    "accepted": "Mark as accepted by the service",
    "assessed": "Mark as assessed",
    "report_received": "Record the report",
    "closed": "Close the referral",
}
PROGRESS_DATE = "Date"
PROGRESS_WAITING = "Waiting time given by the service, in weeks (optional)"
PROGRESS_SUMMARY = "Summary of the report"
PROGRESS_RECOMMENDATIONS = "Recommendations"
PROGRESS_NOTE = "Note (optional)"
PROGRESS_DONE = "Recorded: {status}."
REFERRAL_USAGE = "Type **referral** and a referral number, for example **referral 12**."
REFERRAL_HISTORY_TITLE = "History"

REFERRALS_TITLE = "Open referrals"
REFERRALS_NONE = "There are no open referrals."
REFERRALS_LINE = "{pupil} \u00b7 {service} \u00b7 {status} \u00b7 opened {age} ago{stalled}"
REFERRALS_STALLED = " \u00b7 not moved for {weeks} weeks"
REFERRALS_HINT = "Type **referral [number]** to see one."
PAGE_NEXT = "Next page"
PAGE_PREVIOUS = "Previous page"

SERVICES_TITLE = "Services for referrals"
SERVICES_ADD_LABEL = "Add a service"
SERVICES_ADD = "Add"
SERVICES_RETIRE = "Retire {name}"
SERVICES_ADDED = "Added {name}."
SERVICES_RETIRED = "Retired {name}. Referrals already made to it are kept."
SERVICES_DUPLICATE = "Your school already has a service with this name."
SERVICES_DEFAULT = "offered to every school"
SERVICES_NOT_FOUND = "That service is not one of your school's, or it is already retired."

# --- digest ---
DIGEST_SUMMARY = "The weekly SEN digest: this week, last week or a week like 2026-W47"
DIGEST_USAGE = "digest [last | 2026-W47]"
DIGEST_TITLE = "Weekly SEN digest: {school}"
DIGEST_TRUST_TITLE = "Weekly SEN digest: your schools"
DIGEST_WEEK = "Week: {week} (to {end})"
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
DIGEST_SUPPORT_TOTAL = "{sessions}, {hours} pupil-hours"
DIGEST_SUPPORT_LINE = "{sessions} · {hours} pupil-hours"
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
DIGEST_SESSIONS = ("{n} session", "{n} sessions")
DIGEST_CHART_NOTHING = "No support was logged in these weeks, so there is no chart."
DIGEST_TRUST_SCHOOL_LINE = (
    "K {k} · E {e} · {sessions} · {hours} pupil-hours · {no_support} without support 4 weeks · "
    "{overdue} reviews overdue · {referrals} referrals waiting"
)
DIGEST_TRUST_ROW = (
    "**{school}**: K {k} · E {e} · {sessions} · {hours} pupil-hours · {no_support} without support "
    "4 weeks · {overdue} reviews overdue · {referrals} referrals waiting"
)
DIGEST_MORE_SCHOOLS = "and {n} more schools"
DIGEST_NO_TRUST_SCHOOLS = "No schools are linked to your account yet. Ask your administrator to add them."
DIGEST_BAD_WEEK = (
    "I couldn't read \u201c{text}\u201d as a week. Type **digest** for this week, **digest last** for last "
    "week, or a week like **digest 2026-W47** (year, W, week number)."
)
DIGEST_FUTURE_WEEK = "Week {label} hasn't started yet. Type **digest** for this week."

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
REGISTER_OPEN_HINT = "Choose a pupil to see their entry and history, or type **register [pupil]**."
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
REGISTER_HISTORY_TITLE = "Register history: {name}"
REGISTER_HISTORY_EMPTY = "No register entries have been recorded for this pupil."
REGISTER_HISTORY_LINE = "{started} \u2013 {ended}: {status}. By {by}. Reason: {reason}"
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
LOG_HISTORY_TITLE = "Sessions you logged"
LOG_HISTORY_EMPTY = "You have not logged any sessions yet. Type **log** to log one."
LOG_HISTORY_LINE = "{date} \u00b7 {provision} \u00b7 {minutes} min \u00b7 {present} of {pupils} present"
HISTORY_UNDONE_MARK = " (undone)"
HISTORY_PAGE = "Page {page}"
HISTORY_NEXT = "Older"
HISTORY_PREVIOUS = "Newer"
HISTORY_BAD_PAGE = "That page was not recognised. Type **history** to start again."

# --- pupil ---
PUPIL_SUMMARY = "A pupil's summary: needs, plan, recent sessions"
PUPIL_USAGE = "pupil [name]"
PUPIL_ASK_NAME = "Type **pupil** and part of a name, e.g. **pupil amelia**."
PUPIL_NONE = (
    "No pupil in your classes matches \u201c{query}\u201d. Check the spelling, or try part of the name."
)
PUPIL_PICK_TITLE = "Which pupil?"
PUPIL_PICK_MORE = "Showing the first {shown} matches: type more of the name to narrow it down."
PUPIL_NOT_IN_SCOPE = "That pupil is not in your classes, so I can't show them."
PUPIL_YEAR = "Year {year}"
PUPIL_RECEPTION = "Reception"
PUPIL_BORN = "born {date}"
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
SEN_STATUS_WORDS = {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}

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

# --- concern ---
CONCERN_TITLE = "Raise a concern about {pupil}"
CONCERN_INTRO = "The SENCO will decide whether {pupil} goes on SEN support. Say what you have seen."
CONCERN_TEXT = "What is the concern? (required)"
CONCERN_EVIDENCE = "Evidence so far (from logged interventions; edit as needed)"
CONCERN_NEED = "Suggested area of need (optional)"
CONCERN_NEED_NONE = "Not sure"
CONCERN_PARENTS = "Have the parents been spoken to?"
CONCERN_PARENTS_ON = "When (optional)"
CONCERN_SEND = "Send to the SENCO"
CONCERN_ALREADY_ON = "{pupil} is already on the SEN register ({status}); nothing was sent."
CONCERN_SENT = "Sent to {sencos}. You will hear when they decide."
CONCERN_NO_SENCO = "Your school has no SENCO in the directory, so the concern could not be sent."
CONCERN_APPROVAL_TITLE = "A concern to decide"
CONCERN_STATUS_TITLE = "Concern about {pupil}"
CONCERN_STATUS_WORDS = {
    "requested": "Waiting for the SENCO",
    "accepted": "Accepted onto the SEN register",
    "declined": "Declined",
}
CONCERN_DECIDED_BY = "{status} by {name}, {when}"
CONCERN_ACCEPT = "Accept onto the register"
CONCERN_ACCEPT_SEND = "Accept"
CONCERN_ACCEPT_REASON = "Reason for adding (required; kept in the register history)"
CONCERN_DECLINE = "Decline"
CONCERN_DECLINE_REASON = "Why is it declined? (the teacher will see this)"
CONCERN_REASON_REQUIRED = "Give a reason."
CONCERN_STALE = "This card was out of date, so nothing was changed. Here is where the concern stands now."
CONCERN_REFUSED = "Only a SENCO of the pupil's school can decide on this concern. Nothing was changed."
CONCERN_NOT_FOUND = "Concern {id} was not found, or is not yours to see."
CONCERN_NOW_ON = "{pupil} is now on the register ({status}), so this concern can only be declined."
CONCERN_DECIDED_NOTICE = "Your concern about {pupil} was {decision} by {name}."
CONCERN_ACCEPTED_WORD = "accepted: {pupil} is now on the register as {status}"
CONCERN_DECLINED_WORD = "declined ({reason})"
CONCERN_PARENTS_YES = "Yes"
CONCERN_PARENTS_NO = "No"
CONCERN_RAISE_BUTTON = "Raise a concern"

# --- parents ---
PARENT_TASK_WORDS = {
    "inform_sen_support": "Tell the parents their child is receiving SEN support",
    "inform_plan_change": "Tell the parents about the change to their child's support",
    "share_review_outcome": "Share the review outcome with the parents",
}
PARENT_HOW_WORDS = {"meeting": "Meeting", "letter": "Letter", "email": "Email", "phone": "Phone call"}
TASKS_SUMMARY = "Duties to parents still to do, until marked done"
TASKS_TITLE = "Parents to inform"
TASKS_NONE = "Nothing to do: every parent has been told."
TASKS_MORE = "Showing the first {shown}, most overdue first."
TASK_LINE = "**{pupil}**: {what} \u00b7 due {due}"
TASK_LINE_OVERDUE = "**{pupil}**: {what} \u00b7 overdue since {due}"
TASK_DONE_BUTTON = "Mark done"
TASK_FORM_TITLE = "Mark done: {pupil}"
TASK_LABEL_DATE = "When were the parents told?"
TASK_LABEL_HOW = "How?"
TASK_SAVE = "Save"
TASK_DATE_REQUIRED = "Give the date the parents were told."
TASK_DATE_FUTURE = "The date can't be in the future."
TASK_HOW_REQUIRED = "Choose how the parents were told."
TASK_DONE_SAVED = "Recorded: {what}, done on {date} ({how}) by {by}."
TASK_ALREADY_DONE = "That was already marked done on {date} ({how}) by {by}; nothing was changed."
TASK_UNKNOWN = "That task was not found, so nothing was changed."
PUPIL_PARENTS_HEADING = "Parents to inform"
PUPIL_PARENTS_NONE = "Nothing outstanding."
REMINDER_PARENTS = "Parents not yet told, overdue ({count})"
REMINDER_PARENT_LINE = "{what}: due {due}{new}"
REMINDER_MORE_PARENTS = "…and {count} more. Type **tasks** to see them all."
DIGEST_PARENT_TASKS_OVERDUE = "Duties to parents overdue"
CONTACTS_SUMMARY = "A pupil's parent contacts (SENCO): add, edit, remove"
CONTACTS_USAGE = "contacts [pupil]"
CONTACTS_TITLE = "Parent contacts: {pupil}"
CONTACTS_NONE = "No parent contacts recorded yet. Letters can't be emailed until one is added."
CONTACT_LINE = "{relationship}{preferred} \u00b7 {email} \u00b7 {phone}"
CONTACT_PREFERRED_MARK = " (preferred)"
CONTACT_NO_EMAIL = "no email"
CONTACT_NO_PHONE = "no phone"
CONTACT_EDIT = "Edit"
CONTACT_REMOVE = "Remove"
CONTACT_FORM_ADD = "Add a contact"
CONTACT_FORM_EDIT = "Edit {name}"
CONTACT_LABEL_NAME = "Name"
CONTACT_LABEL_RELATIONSHIP = "Relationship to the pupil (e.g. mother, carer)"
CONTACT_LABEL_EMAIL = "Email (optional)"
CONTACT_LABEL_PHONE = "Phone (optional)"
CONTACT_LABEL_PREFERRED = "Preferred contact"
CONTACT_SAVE = "Save contact"
CONTACT_NAME_REQUIRED = "Give the contact's name."
CONTACT_RELATIONSHIP_REQUIRED = "Say how they are related to the pupil."
CONTACT_EMAIL_BAD = "That email address doesn't look right: {reason}"
CONTACT_PHONE_BAD = "Give a phone number of digits, spaces and + ( ) - only."
CONTACT_SAVED = "Contact saved."
CONTACT_REMOVED = "Contact removed."
CONTACT_UNKNOWN = "That contact was not found for this pupil, so nothing was changed."
LETTER_SUMMARY = "Letters to a pupil's parents: SEN support, plan summary, review summary (PDF or email)"
LETTER_USAGE = "letter [pupil] \u00b7 letter template [sen_support|plan_summary|review_summary]"
LETTER_PICK_TITLE = "Letters for {pupil}'s parents"
LETTER_PICK_INTRO = "Choose a letter. It is written from what the bot holds, in plain language."
LETTER_KIND_WORDS = {
    "sen_support": "Your child is receiving SEN support",
    "plan_summary": "Support plan summary",
    "review_summary": "Review summary",
}
LETTER_KIND_UNKNOWN = "That letter isn't one I know. Choose sen_support, plan_summary or review_summary."
LETTER_READY_TITLE = "{letter}: {pupil}"
LETTER_READY = "Your letter is ready. The download link works for 15 minutes and only for you."
LETTER_DOWNLOAD = "Download PDF"
LETTER_EMAIL = "Email to parents\u2026"
LETTER_NO_PUPIL = "That pupil's records could not be read, so no letter was made."
LETTER_TEMPLATE_TITLE = "Letter wording: {letter}"
LETTER_TEMPLATE_INTRO = (
    "This is your school's wording (Jinja2). You may use these placeholders: {names}. "
    "Anything else is refused when you save."
)
LETTER_TEMPLATE_LABEL = "Template"
LETTER_TEMPLATE_SAVE = "Save wording"
LETTER_TEMPLATE_SAVED = "Saved: letters of this kind now use your school's wording."
LETTER_TEMPLATE_EMPTY = "The template can't be empty."
LETTER_TEMPLATE_UNKNOWN = "Unknown placeholder \u201c{name}\u201d: it isn't one a letter can use."
LETTER_TEMPLATE_SYNTAX = "The template has a mistake: {detail}"
LETTER_TEMPLATE_SENCO_ONLY = "Only the SENCO can change the letters' wording."
MAIL_PREVIEW_TITLE = "Email this letter? {letter}"
MAIL_PREVIEW_TO = "To"
MAIL_PREVIEW_FROM = "From"
MAIL_PREVIEW_SUBJECT = "Subject"
MAIL_PREVIEW_NOTE = "Nothing is sent until you press Send. It goes once, to the contacts listed."
MAIL_SEND = "Send"
MAIL_NO_CONTACT = (
    "No email address is recorded for {pupil}'s parents, so nothing was sent. "
    "The SENCO can add one with **contacts {pupil}**."
)
MAIL_OFF = "Email is not set up for this school (no mailbox configured), so nothing was sent."
MAIL_QUEUED = "Sending now. I'll tell you here when it has gone."
MAIL_ALREADY = "That letter was already sent (or is being sent); it is not sent twice."
MAIL_SENT = "Sent: \u201c{letter}\u201d for {pupil} to {count} parent contact(s). The task is marked done."
MAIL_REFUSED = (
    "Microsoft 365 refused the email for {pupil} (busy or not allowed), so nothing was sent. "
    "Ask for the letter again to retry."
)
MAIL_UNKNOWN = (
    "Microsoft 365 didn't answer in time, so I can't tell whether the email for {pupil} went. "
    "I won't send it again by myself: check the mailbox's Sent Items before resending."
)
MAIL_SUBJECT = "{letter}: {pupil} ({school})"

# --- roles ---
ROLES_TITLE = "Roles at {school}"
ROLES_NONE = "Nobody holds a role yet."
ROLES_MORE = "Showing {shown} of {total} people with roles."
ROLES_USAGE = (
    "To change a role, type **roles grant** or **roles revoke**, an email address and a role, "
    "for example: roles grant jo.evans@school.example ta. Roles: {roles}."
)
ROLES_BAD_EMAIL = "\u201c{email}\u201d is not an email address. Type the person's school email address."
ROLES_UNKNOWN_ROLE = "\u201c{role}\u201d is not a role. Roles: {roles}."
ROLES_UNKNOWN_PERSON = (
    "Nobody with the email {email} is in your school's staff directory. "
    "Check the address, or ask your administrator to import the staff list."
)
ROLES_TOO_LONG = (
    "That is too long for a roles command. Type roles grant or roles revoke, an email and a role."
)
ROLES_NOT_YOURS = "Only an administrator can grant or revoke the {role} role."
ROLES_LAST_ADMIN = (
    "{name} is the last administrator of your school, so the admin role cannot be taken away. "
    "Grant it to someone else first."
)
ROLES_GRANTED = "{name} now has the {role} role."
ROLES_ALREADY = "{name} already has the {role} role: nothing changed."
ROLES_REVOKED = "{name} no longer has the {role} role."
ROLES_NOT_HELD = "{name} does not have the {role} role: nothing changed."

# --- pupil: meetings with parents (Code of Practice 6.65: at least three a year) ---
PUPIL_PARENT_MEETINGS = "Parent meetings this year"
PUPIL_PARENT_MEETINGS_VALUE = "{n} of the 3 expected"
PUPIL_NEXT_REVIEW = "Next review"
PUPIL_NO_REVIEW = "none booked: start a plan to set one"

# A notification that waited for the person to open senbot (bot/jobs/outbox.py): never sent late silently.
SENT_LATE = "This message is late: it was ready on {day}, but I could not reach you until you opened senbot."

# --- register: E needs the local authority's plan (bot/flows/register.py, docs/ehcna.md) ---
E_NEEDS_PLAN = (
    "Status E needs the EHC plan the local authority issued, and there is none on record for this pupil. "
    "Record the plan through `ehcna [pupil]` (final plan issued), which moves the register to E."
)

# --- evidence pack (bot/flows/evidence.py) ---
EVIDENCE_SUMMARY = "A pupil's evidence pack (PDF and data) for a top-up or EHCNA request, or a case sample"
EVIDENCE_USAGE = "evidence [pupil]"
EVIDENCE_READY_TITLE = "Evidence pack: {pupil}"
EVIDENCE_READY = (
    "The evidence pack is ready: {plans} plans, {reviews} reviews, {sessions} sessions this financial "
    "year, {referrals} referrals. The download links work for 15 minutes and only for you."
)
EVIDENCE_PDF = "Download PDF"
EVIDENCE_JSON = "Download data (JSON)"
EVIDENCE_START_EHCNA = "Start an EHCNA request\u2026"

# --- EHC needs assessments (bot/flows/ehcna.py) ---
EHCNA_SUMMARY = "EHC needs assessment requests: record each step, deadlines at 6, 16 and 20 weeks"
EHCNA_USAGE = "ehcna \u00b7 ehcna all \u00b7 ehcna [pupil]"
EHCNA_LIST_TITLE = "EHC needs assessment requests"
EHCNA_LIST_ALL_TITLE = "Every EHC needs assessment request"
EHCNA_LIST_EMPTY = "No open requests. Start one with `ehcna [pupil]`."
EHCNA_LIST_LINE = "{status} \u00b7 next: {next}"
EHCNA_PAGE = "Page {page} of {pages}"
EHCNA_PREVIOUS = "Previous"
EHCNA_NEXT = "Next"
EHCNA_OPEN = "Open"
EHCNA_PUPIL_TITLE = "EHC needs assessment: {pupil}"
EHCNA_NONE = "No request has been made for this pupil. Record one below when it is sent."
EHCNA_NEW_TITLE = "Record a request"
EHCNA_REQUESTED_ON = "Date sent to the local authority"
EHCNA_LA = "Local authority"
EHCNA_REQUESTED_BY = "Who requested it"
EHCNA_REQUESTER_WORDS = {"school": "The school", "parent": "The parents"}
EHCNA_EVIDENCE = "The evidence pack was attached"
EHCNA_RECORD = "Record the request"
EHCNA_RECORDED = "Request recorded. The deadlines below run from the date it was sent."
EHCNA_ALREADY_OPEN = "This pupil already has an open request: it is shown below."
EHCNA_ALREADY = "That was already recorded."
EHCNA_STALE = "The request changed since this card was sent: here it is as it is now."
EHCNA_CLOSED = "This request is closed: nothing more can be recorded on it."
EHCNA_LA_REQUIRED = "Name the local authority the request went to."
EHCNA_REQUESTER_REQUIRED = "Choose who requested the assessment: the school or the parents."
EHCNA_DATE_REQUIRED = "Give the date."
EHCNA_DATE_FUTURE = "That date is in the future."
EHCNA_DATE_BEFORE = "That date is before the step before it ({date})."
EHCNA_REASON_REQUIRED = "Give the reason."
EHCNA_STATUS_WORDS = {
    "requested": "Requested: waiting for the decision to assess",
    "assessing": "Being assessed",
    "not_assessing": "Not assessed (the local authority refused)",
    "assessed": "Assessed: waiting for the decision to issue a plan",
    "draft": "Draft plan with the parents",
    "issued": "EHC plan issued",
    "not_issued": "No plan issued (the local authority refused)",
    "withdrawn": "Withdrawn",
}
EHCNA_DEADLINE_WORDS = {
    "decide": "Decision whether to assess (6 weeks)",
    "draft": "Decision whether to issue a plan (16 weeks)",
    "final": "Final EHC plan issued (20 weeks)",
}
EHCNA_DEADLINE_LINE = "{date}{state}"
EHCNA_DEADLINE_OVERDUE = " \u2014 overdue"
EHCNA_DEADLINE_MET = " \u2014 done {date}"
EHCNA_FACT_SENT = "Sent"
EHCNA_FACT_LA = "Local authority"
EHCNA_FACT_BY = "Requested by"
EHCNA_FACT_EVIDENCE = "Evidence pack attached"
EHCNA_FACT_STATUS = "Now"
EHCNA_YES = "Yes"
EHCNA_NO = "No"
EHCNA_FACT_DECIDED = "Decision to assess"
EHCNA_FACT_NOT_ASSESS = "Refused to assess"
EHCNA_FACT_ASSESSED = "Assessment done"
EHCNA_FACT_DRAFT = "Draft plan sent"
EHCNA_FACT_COMMENTS = "Parents' comments due"
EHCNA_FACT_FINAL = "Final plan issued"
EHCNA_FACT_NOT_ISSUED = "Refused to issue a plan"
EHCNA_FACT_WITHDRAWN = "Withdrawn"
EHCNA_APPEAL = (
    "The parents have the right to appeal this decision to the SEND Tribunal (after mediation advice), "
    "usually within two months of the decision letter."
)
EHCNA_STEP_TITLE = "Record the next step"
EHCNA_STEP_DATE = "Date"
EHCNA_STEP_REASON = "Reason (for a refusal or a withdrawal)"
EHCNA_STEP_WORDS = {
    "assess": "Decided to assess",
    "not_assess": "Decided not to assess",
    "assessed": "Assessment done",
    "draft": "Draft plan sent",
    "issued": "Final plan issued",
    "not_issued": "Decided not to issue a plan",
    "withdraw": "Withdraw the request",
}
EHCNA_STEP_SAVED = "Recorded."
EHCNA_STEP_SAVE = "Record the step"
EHCNA_DEADLINES = "Deadlines (SEND Code of Practice)"
EHCNA_ISSUED_SAVED = (
    "Final plan recorded. The register now shows E from {date}, and the plan's annual review is due by "
    "{review}."
)
EHCNA_ISSUE_NEEDS_NEED = (
    "The pupil has no recorded need on the register: add them to the register with their need first, "
    "then record the final plan."
)
EHCNA_STEP_UNKNOWN = "That step can't be recorded at this point of the request."
EHCNA_ISSUED_REASON = "EHC plan issued by {la}"
EHCNA_ON_PUPIL = "EHCNA"

# --- the morning card: EHCNA deadlines and threshold crossings (bot/jobs/reminders.py) ---
REMINDER_EHCNA = "EHC needs assessment deadlines ({count})"
REMINDER_EHCNA_LINE = "{deadline}: {due}{state}{new}"
REMINDER_EHCNA_SOON = ""
REMINDER_EHCNA_PASSED = " \u2014 passed"
REMINDER_THRESHOLD = "Costed provision against the notional threshold ({count})"
REMINDER_THRESHOLD_LINE = "{spent} this financial year: {stage} of {threshold}{new}"
REMINDER_THRESHOLD_STAGES = {"threshold_80": "past 80 %", "threshold_100": "past 100 %"}
REMINDER_MORE_EHCNA = "\u2026and {count} more: type `ehcna` for every open request."
REMINDER_MORE_THRESHOLD = "\u2026and {count} more: type `digest` for every pupil near the threshold."
REMINDER_EVIDENCE = "Evidence pack"
REMINDER_START_EHCNA = "EHCNA\u2026"
