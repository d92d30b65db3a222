"""Demo data files: the roster of the demo organization (`roster.xlsx`, made by `make_roster`)."""
