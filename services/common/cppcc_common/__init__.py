"""Shared mechanisms of the 掌上政协 backend. Mechanisms only: no business rule of one service lives here."""
