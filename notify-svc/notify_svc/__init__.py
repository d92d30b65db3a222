"""notify-svc: decides who is told what, writes inbox items, and (later) pushes, texts and calls webhooks."""
