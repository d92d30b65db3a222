"""proposal-svc: proposals and public-opinion reports."""
