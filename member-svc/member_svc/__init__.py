"""member-svc: organizations, identity, members, units, and the duty-performance ledger."""
