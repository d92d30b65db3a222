"""QR check-in (签到): a rotating, signed code per activity on the venue screen; an invitee's scan
records arrival, a later scan departure (through `activities.service.record_attendance`)."""
