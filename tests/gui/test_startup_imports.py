"""What the monitor imports before its window shows: nothing it does not use then.

Measured by ``python -m bench startup``: httpx's own command line (click, rich,
pygments) cost 175 ms of a cold start, and keyring (needed only to read saved tokens,
which happens in a worker thread) 90 ms.
"""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = ("click", "rich", "pygments", "keyring")


def test_the_monitor_starts_without_httpx_s_command_line_or_keyring() -> None:
    code = (
        "import json, sys; import jobdesk.gui.app; "
        f"print(json.dumps([m for m in {NOT_AT_START!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []
    # httpx itself still works: only the import of its command line was skipped
    check = "import jobdesk.gui, httpx; print(httpx.Client, callable(httpx.main))"
    works = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert "httpx.Client" in works.stdout
