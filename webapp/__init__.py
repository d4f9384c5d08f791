"""The clinic web app: the staff API (and, later, the patient page and the staff console)."""
