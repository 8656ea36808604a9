"""The web edge and the process: HTTP routes, structured logs, process tuning and worker processes."""
