"""ODK's function library. Importing this package registers every function.

Each module registers its functions with `app.engine.xpath.registry.function`.
"""

from __future__ import annotations

import importlib
import pkgutil


def _register_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_register_all()
