"""The study: its configuration, framework (pillars × elements) and stakeholder registry.

Everything specific to one study is read from `forms/` (see `config`); this
package holds no study data of its own.
"""

from __future__ import annotations

from app.study.config import StudyConfig, StudyConfigError, load_study

__all__ = ["StudyConfig", "StudyConfigError", "load_study"]
