"""`python -m app` runs the command line."""

from __future__ import annotations

from app.cli.main import main

raise SystemExit(main())
