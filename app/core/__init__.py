"""Foundation shared by every layer: errors, paths, logging, i18n, ids, clock."""
