"""Online deliberation (网络议政): a time-boxed thread invitees post to; staff moderate and summarize."""
