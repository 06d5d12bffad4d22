"""Settings: the per-user preferences file and the dialog that edits it."""
