"""Where the server's database lives when ``--db`` is not given.

``jobdesk serve`` and ``jobdesk token create`` must find the same file wherever they
are run from, so the default is one per-user place, the platform's data directory,
rather than the current directory: a token created in one shell then works for a
server started in another. ``$JOBDESK_DB`` overrides it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

DB_ENV: Final = "JOBDESK_DB"
DB_NAME: Final = "jobdesk.db"


def data_dir() -> Path | None:
    """The platform's per-user data directory for jobdesk, or None when there is no home.

    Linux and other Unixes: ``$XDG_DATA_HOME/jobdesk`` (``~/.local/share/jobdesk``);
    macOS: ``~/Library/Application Support/jobdesk``; Windows: ``%LOCALAPPDATA%\\jobdesk``.
    """
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no password entry: a bare container
        return None
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "jobdesk"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "jobdesk"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share"
    return base / "jobdesk"


def default_db_path() -> Path:
    """``$JOBDESK_DB``, else jobdesk.db in the data directory, else in the current one."""
    given = os.environ.get(DB_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    directory = data_dir()
    return (directory / DB_NAME) if directory is not None else Path.cwd() / DB_NAME


DB_HELP: Final = (
    f"the database: a SQLite file (default: ${DB_ENV}, else {DB_NAME} in the per-user data "
    "directory, e.g. ~/.local/share/jobdesk on Linux; sqlite:///PATH says the same), or "
    "postgresql://USER@HOST:PORT/DB, which several servers may share as replicas"
)

Database = Path | str
"""A SQLite file's path, or a PostgreSQL URL."""


def database(text: str) -> Database:
    """``--db``'s value: a PostgreSQL URL as it is; ``sqlite:///PATH`` or a path as a Path."""
    if text.startswith(("postgresql://", "postgres://")):
        return text
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    return Path(text).expanduser()
