"""What the participation contexts share (check-in, speeches, written consultation, online
deliberation, the member's calendar): who may see an activity's participation (rule 28), who is an
invitee, the organization's participation policy values, the common errors and permissions."""
