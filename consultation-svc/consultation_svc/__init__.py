"""consultation-svc: annual plans, topics, activities, participation, outcomes."""
