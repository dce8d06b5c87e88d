"""How to run ``jobdesk`` from another terminal, for hints a command prints.

From a source checkout (``uv run jobdesk demo``) there is no ``jobdesk`` on the user's
PATH: the script lives in the project's ``.venv``, which only ``uv run`` puts on it.
An installed jobdesk (the .deb, pip) is on the PATH as ``jobdesk``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def jobdesk_command(prefix: Path | None = None) -> str:
    """``uv run jobdesk`` inside a uv project's environment, else ``jobdesk``."""
    env = Path(sys.prefix if prefix is None else prefix)
    project = env.parent / "pyproject.toml"
    if env.name == ".venv" and project.is_file() and 'name = "jobdesk"' in project.read_text():
        return "uv run jobdesk"
    return "jobdesk"
