"""Consultation forms and (later) annual plans."""
