"""Written consultation (书面协商): a document out for written opinions by a due date, one opinion
per invitee, revisable until the due date."""
