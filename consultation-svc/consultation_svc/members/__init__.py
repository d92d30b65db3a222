"""consultation-svc's projection of member-svc's members: who may be invited (by list, sector,
committee, standing members, all) and what the invitee lists show (names)."""
