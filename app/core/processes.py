"""Whether this program may start worker processes (a packaged build must opt in).

Bundle imports check documents in worker processes. Those are started with
the `spawn` method, which runs the program's executable again. From source
that is the Python interpreter; in a PyInstaller build it is the app itself,
which would open a second window per worker unless its entry point first
lets `multiprocessing.freeze_support()` take over the worker's start. An
entry point that does so says it with `freeze_support()` here; a packaged
program that did not starts no workers and checks everything in-process.
"""

from __future__ import annotations

import multiprocessing
import sys

_entry_point_ready = False


def freeze_support() -> None:
    """Call first in a program's entry point: in a worker started from a packaged
    build this runs the worker and exits; otherwise it marks workers as safe."""
    global _entry_point_ready
    multiprocessing.freeze_support()
    _entry_point_ready = True


def may_start_workers() -> bool:
    """From source, always; in a packaged build, once its entry point called `freeze_support`."""
    return not getattr(sys, "frozen", False) or _entry_point_ready
