"""One turn of conversation, free of the Teams SDK: the plain types, the router, the dispatcher, card
values."""
