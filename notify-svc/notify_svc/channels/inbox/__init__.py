"""The in-app inbox: who is told what (from events), and reading it."""
