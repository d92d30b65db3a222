"""Attachments (附件) of proposals (and, later, of replies): metadata rows here, bytes behind `store`."""
