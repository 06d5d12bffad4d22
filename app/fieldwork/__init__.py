"""Filling forms for real: the engine's FormSession bound to the local store.

The UI and the CLI use these services; they hold no Qt and no widgets.
"""
