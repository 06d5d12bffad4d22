"""Accounts: supervisors and coordinators add the field staff's logins on this laptop."""
