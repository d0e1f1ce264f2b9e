"""The dashboard's reads: one module per page (overview, student, export)."""
