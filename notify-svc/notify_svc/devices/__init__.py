"""The devices a person's push notices go to (issue 10)."""
