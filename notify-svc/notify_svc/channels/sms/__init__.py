"""SMS: the notices a person chose to receive by text message, to their mobile number."""
