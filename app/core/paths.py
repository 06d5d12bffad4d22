"""Where Samluat keeps user files.

Everything lives under the platform's user directories (platformdirs) unless
`SAMLUAT_HOME` is set, which moves every path below one folder (tests and
portable installs use it). Nothing is written next to the executable.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Samluat"
HOME_ENV = "SAMLUAT_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def _resolve(kind: str) -> Path:
    home = _home()
    if home is not None:
        path = home / kind
    else:
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        path = Path(
            {
                "data": dirs.user_data_dir,
                "config": dirs.user_config_dir,
                "cache": dirs.user_cache_dir,
                "logs": dirs.user_log_dir,
            }[kind]
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Databases, attachments, keys."""
    return _resolve("data")


def config_dir() -> Path:
    """Settings."""
    return _resolve("config")


def cache_dir() -> Path:
    """Compiled form cache and other files that can be rebuilt."""
    return _resolve("cache")


def log_dir() -> Path:
    """Rotating log files."""
    return _resolve("logs")


def project_root() -> Path:
    """The source tree (or the unpacked bundle when frozen by PyInstaller)."""
    import sys

    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    return project_root() / "resources"


def default_forms_dir() -> Path:
    return project_root() / "forms"
