"""Start at login: the freedesktop autostart entry for the monitor.

Plain Python, no Qt (the menu action in ``autostart_action`` is the only Qt part), so the
file it writes can be tested as a file. The entry follows the Desktop Application
Autostart spec: ``$XDG_CONFIG_HOME/autostart/<APP_ID>.desktop``, started by the session
manager at login; removing the file is how an application stops it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from jobdesk import APP_ID

ENTRY_NAME = f"{APP_ID}.desktop"
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
"""Characters that make an Exec argument need double quotes (Desktop Entry spec)."""
_ESCAPED_IN_QUOTES = frozenset('"`$\\')


def supported() -> bool:
    """The freedesktop autostart folder is read by Linux and BSD desktops only."""
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def autostart_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/autostart``; a relative or empty XDG_CONFIG_HOME is ignored, as
    the base directory spec asks."""
    configured = environ.get("XDG_CONFIG_HOME", "")
    base = Path(configured) if os.path.isabs(configured) else Path.home() / ".config"
    return base / "autostart"


def monitor_command() -> list[str]:
    """What starts this monitor again at login, with absolute paths (the session's PATH
    may lack a virtual environment's bin folder)."""
    if getattr(sys, "frozen", False):
        return [_frozen_launcher(), "monitor"]
    script = shutil.which("jobdesk", path=str(Path(sys.executable).parent))
    if script is not None:  # the console script of this environment, not another install
        return [os.path.abspath(script), "monitor"]
    return [sys.executable, "-m", "jobdesk", "monitor"]


def _frozen_launcher() -> str:
    """``jobdesk`` on PATH (``/usr/bin/jobdesk``) or the link the bundle was started by,
    if it leads to this bundle: it survives upgrades that move the bundle. Otherwise the
    bundle's own executable."""
    for candidate in ("jobdesk", sys.argv[0] if sys.argv else ""):
        found = shutil.which(candidate) if candidate else None
        if found and os.path.realpath(found) == os.path.realpath(sys.executable):
            return os.path.abspath(found)
    return sys.executable


def exec_value(argv: Sequence[str]) -> str:
    """The Exec key for ``argv``: quoted per the Exec rules, ``%`` doubled (no field
    codes), then escaped as a string value, so a launcher recovers ``argv`` exactly."""
    return _string_value(" ".join(_exec_argument(arg) for arg in argv))


def _exec_argument(arg: str) -> str:
    arg = arg.replace("%", "%%")
    if arg and not _RESERVED.intersection(arg):
        return arg
    inner = "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in arg)
    return f'"{inner}"'


def _string_value(text: str) -> str:
    """The escapes of a string value; the spec applies them before the Exec quoting."""
    table = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return "".join(table.get(c, c) for c in text)


def desktop_entry(argv: Sequence[str]) -> str:
    """The entry's text. TryExec makes a desktop skip it once the program is gone."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=jobdesk\n"
        "Comment=Watch long-running jobs live and act on them\n"
        f"TryExec={_string_value(argv[0])}\n"
        f"Exec={exec_value(argv)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


class Autostart:
    """The autostart entry at ``path`` (default: the one for APP_ID)."""

    def __init__(self, path: Path | None = None, command: Sequence[str] | None = None) -> None:
        self.path = path or autostart_dir() / ENTRY_NAME
        self.command = list(command) if command is not None else None

    def enabled(self) -> bool:
        """The entry exists and is not switched off (``Hidden=true``, or GNOME's
        ``X-GNOME-Autostart-enabled=false``, which its startup settings write)."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return False
        except OSError:
            return self.path.exists()
        keys = dict(_entry_keys(text))
        return (
            keys.get("Hidden", "false") != "true"
            and keys.get("X-GNOME-Autostart-enabled", "true") != "false"
        )

    def enable(self) -> None:
        """Write the entry atomically: a session starting meanwhile sees the old file or
        the new one, never half of it (the temporary name does not end in .desktop)."""
        text = desktop_entry(self.command or monitor_command())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{ENTRY_NAME}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


def _entry_keys(text: str) -> list[tuple[str, str]]:
    """The keys of the [Desktop Entry] group (enough to read the switches above)."""
    keys: list[tuple[str, str]] = []
    group = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            group = line
        elif group == "[Desktop Entry]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys.append((key.strip(), value.strip()))
    return keys
