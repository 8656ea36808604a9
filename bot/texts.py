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
