"""The packaged app's entry point (packaging.spec): workers stop here, before the UI.

A bundle import starts worker processes by running the app's executable
again. `freeze_support` must take those over before anything heavy is
imported: a worker that first loaded Qt and every screen took seconds to start.
"""

from __future__ import annotations

if __name__ == "__main__":
    from app.core import processes

    processes.freeze_support()  # in a worker: runs it, then exits

    from app.ui.main import main

    raise SystemExit(main())
