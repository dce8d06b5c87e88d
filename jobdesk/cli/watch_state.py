"""Connection-state and while-you-were-away lines on stderr, shared by both watch views.

They go to stderr so that ``watch --json`` keeps stdout pure JSON lines. A line is
printed only when it differs from the last one, so a dead server does not repeat itself.
"connecting" is never printed: the first attempt is implied by starting, and each later
one was announced by the line that said when it would come (``socket retry in 3 s``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from jobdesk.core.away import AwaySummary
from jobdesk.core.connection import ConnectionState, Transport


class StateReporter:
    def __init__(self, err: TextIO | None = None, wall: Callable[[], float] = time.time) -> None:
        self._err = err
        self._wall = wall
        self._printed = ""

    def report(self, state: ConnectionState) -> None:
        if state.transport is Transport.CONNECTING:
            return
        line = f"jobdesk: {state.describe(self._wall())}"
        if line != self._printed:
            self._printed = line
            self._print(line)

    def away(self, summary: AwaySummary) -> None:
        self._print(f"jobdesk: while away: {summary.describe()}")

    def _print(self, line: str) -> None:
        print(line, file=self._err or sys.stderr, flush=True)
