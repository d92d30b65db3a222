"""A person's notification preferences: channels per category, language, quiet hours (issue 10)."""
