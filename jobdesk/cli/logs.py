"""Keeping library log lines out of a command's output, for the command's duration only.

The SDK logs delivery retries and refusals as warnings, which suits a long-running
worker; a command reports its own outcome in one line, and the live table must not be
broken up by log lines. The level is restored afterwards, because tests (and programs
embedding ``main``) share the logging configuration with everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet(logger_name: str, level: int = logging.ERROR) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    before = logger.level
    logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(before)
