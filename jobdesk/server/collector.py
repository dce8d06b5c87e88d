"""The cyclic garbage collector and the live set: paused while it loads, then frozen.

Loading 101,000 live jobs makes millions of objects, none of them garbage; the
collector, run by allocation counts, walked the growing heap again and again: 1.5 s of a
2.7 s load on this project's machine, 0.6 s without it. Afterwards the loaded jobs stay
for the server's life, and every full collection would walk them once more (a stall that
grows with the live set): ``freeze_loaded`` moves everything alive at that moment out of
the collector's sight. Objects freed later are still freed by reference counting; only
cycles among the frozen objects would stay, and the job records hold none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside; the collector's state before is restored after
    (a process that runs it by hand, as the monitor does on its GUI thread, keeps that)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_loaded() -> None:
    """For a process that is only a server (``jobdesk serve``), once its state is loaded:
    collect what start-up left, then freeze what is alive."""
    gc.collect()
    gc.freeze()
