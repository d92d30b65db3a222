"""Test support: real PostgreSQL and NATS servers, per-test databases, event waiting."""
