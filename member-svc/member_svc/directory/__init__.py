"""The directory: terms and plenary sessions, sectors, committees, members per term, handling units."""
