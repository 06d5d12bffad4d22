"""The screens before a user is logged in: first run (create the database) and login."""
