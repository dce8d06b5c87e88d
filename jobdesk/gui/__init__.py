"""The desktop monitor (PySide6 on qasync): the only package that may import Qt."""

import sys

if "httpx" not in sys.modules:
    # httpx imports its own command line (click, rich, pygments) whenever those are
    # installed, and here they are (uvicorn brings click, `jobdesk watch` uses rich):
    # 175 ms of the monitor's cold start, for a command line the monitor never runs.
    # A None entry makes that one import fail, and httpx then defines a stub instead.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: documented
