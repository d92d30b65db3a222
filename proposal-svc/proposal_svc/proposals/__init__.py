"""Proposals (提案): drafting, submission, and (in later issues) review, assignment, reply, evaluation."""
