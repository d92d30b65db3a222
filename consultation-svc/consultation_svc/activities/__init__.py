"""Consultation activities (协商活动): scheduling, invitees, notice and materials with their lead
times (rule 21), answers and leave (rule 24), attendance and closing (rule 25), visibility (rule 28)."""
