"""Similar proposals (并案 and duplicate spotting, DOMAIN.md §2): Chinese segmentation, an index of
each submitted proposal's text in PostgreSQL, and the suggestions and merge candidates read from it."""
