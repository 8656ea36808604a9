"""senbot: SEN support for English schools, in Microsoft Teams."""
