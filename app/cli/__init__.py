"""The `samluat` command line: a thin layer over the same services the UI uses."""
