"""Attachments of consultation objects (an activity's materials; speeches and outcomes may own
theirs too): metadata rows here, the rules and the bytes' store in `cppcc_common.attachments`."""
