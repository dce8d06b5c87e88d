"""Connection-state lines on stderr, shared by both watch views.

They go to stderr so that ``watch --json`` keeps stdout pure JSON lines. Retrying a dead
server would repeat the same lines every few seconds, so a line is printed only when it
differs from the last one printed, and "connecting" only on the first attempt (after
that, the "disconnected" line already says when the next try comes).
"""

from __future__ import annotations

import sys
from typing import TextIO

from jobdesk.client.watcher import WatchState


class StateReporter:
    def __init__(self, err: TextIO | None = None) -> None:
        self._err = err
        self._printed = ""
        self.state = WatchState.CONNECTING
        self.detail = ""

    def report(self, state: WatchState, detail: str) -> None:
        retrying = state is WatchState.CONNECTING and self.state is WatchState.DISCONNECTED
        self.state, self.detail = state, detail
        line = f"jobdesk: {state.value}: {detail}"
        if not retrying and line != self._printed:
            self._printed = line
            print(line, file=self._err or sys.stderr, flush=True)
