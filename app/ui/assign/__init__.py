"""Assigning cases to interviewers from the coordinator's spreadsheet."""
