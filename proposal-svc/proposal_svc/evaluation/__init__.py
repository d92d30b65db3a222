"""Evaluation (评价), re-handling, completion reports and conclusion (rules 16–18)."""
