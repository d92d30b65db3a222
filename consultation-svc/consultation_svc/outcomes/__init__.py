"""Consultation outcomes (协商成果): drafting, sending, instructions, feedback and its deadline (rule 22)."""
