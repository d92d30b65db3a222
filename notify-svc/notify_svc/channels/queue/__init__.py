"""The delivery queue of push and SMS: rows written with the inbox item, sent by a worker (issue 10)."""
