"""The web edge and the process: the app factory, HTTP routes, structured logs, process tuning, serving."""
