"""The screen that hosts one Filling: the form view, autosave, finalise, edits, history."""
