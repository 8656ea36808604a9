"""Queries, one module per concern. No SQL lives in bot/ (docs/design.md, "How the code reads")."""
