"""Signed webhooks to partner systems (Standard Webhooks; DESIGN.md §8, docs/webhooks.md)."""
