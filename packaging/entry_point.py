"""The frozen application's entry point: exactly the ``jobdesk`` command.

PyInstaller starts here (the spec names this file); it must not be called jobdesk.py,
which would hide the jobdesk package.
"""

import os
import sys

from jobdesk.cli.main import main

if __name__ == "__main__":
    if (
        sys.platform.startswith("linux")
        and os.environ.get("XDG_SESSION_TYPE") == "wayland"
        and os.environ.get("DISPLAY")
        and "QT_QPA_PLATFORM" not in os.environ
        and "--self-test" not in sys.argv[1:]
    ):
        # The bundle carries Qt's xcb platform plugin, not Wayland's, so on a Wayland
        # session jobdesk runs through XWayland. Saying so up front spares the warning
        # Qt prints when it looks for a "wayland" plugin first.
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    raise SystemExit(main())
