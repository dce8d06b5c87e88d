"""A log that says each kind of failure at most once per interval.

A full disk refuses every write until space is freed: one traceback per request would
fill what is left of the disk with the same lines. The first failure of a kind is logged
at once; later ones within the interval are counted, and the next line says how many
were left out. Kinds are a handful of fixed names, so the bookkeeping stays small.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

DEFAULT_INTERVAL_S = 60.0


class RateLimitedLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._clock = clock
        self._quiet_until: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def log(
        self,
        kind: str,
        level: int,
        message: str,
        *args: Any,
        exc_info: BaseException | None = None,
    ) -> bool:
        """Log ``message % args`` unless ``kind`` was logged within the interval;
        returns whether it was."""
        now = self._clock()
        if now < self._quiet_until.get(kind, float("-inf")):
            self._left_out[kind] = self._left_out.get(kind, 0) + 1
            return False
        self._quiet_until[kind] = now + self._interval_s
        left_out = self._left_out.pop(kind, 0)
        if left_out:
            message += " (%d more like it since the last such line)"
            args = (*args, left_out)
        self._logger.log(level, message, *args, exc_info=exc_info, stacklevel=2)
        return True
