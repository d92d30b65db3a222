"""People and organizations: registration and the events other services project."""
