"""Roster import from and export to Excel (.xlsx), the way offices keep their rosters (DOMAIN.md §1)."""
