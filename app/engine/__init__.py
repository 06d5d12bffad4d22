"""The form engine: XLSForm ingest, ODK expressions, dependency graph, FormSession."""
