"""A proposal's timeline (办理进度) for its readers and its audit trail for the office."""
