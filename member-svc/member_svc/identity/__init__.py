"""Identity: accounts, passwords, tokens, signing keys."""
