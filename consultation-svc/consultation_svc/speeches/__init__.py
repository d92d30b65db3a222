"""Speeches (发言): registration to speak, written speeches with attachments, delivered or accepted."""
