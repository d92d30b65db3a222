"""The organization's proposal policy (issue 9 "Policy"): read by staff, set by administrators."""
