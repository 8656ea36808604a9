"""Queries, one module per concern. No SQL lives in bot/ (STYLE.md, habit 10)."""
