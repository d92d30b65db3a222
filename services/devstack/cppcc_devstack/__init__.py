"""The dev-stack runner behind `make run` (and the end-to-end tests)."""
