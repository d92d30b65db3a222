"""The proposals office's list, statistics and exports (issue 12, DOMAIN.md §2 "Statistics")."""
