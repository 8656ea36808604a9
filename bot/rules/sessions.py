"""What an intervention session may be: the limits the log form and the provisions catalogue share."""

# A group larger than this is a class, not an intervention; a session longer than this is a data error.
MAX_GROUP = 30
MAX_MINUTES = 600
