"""Publication (公开) of replied proposals and their replies (rule 20)."""
