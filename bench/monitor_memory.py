"""The monitor's memory with 100,000 jobs, next to an empty window, in the same run.

A real server process serves a database seeded with 100,000 realistic jobs
(``bench.procs.JOB_DESCRIPTION``), another an empty one. Each case is a fresh process
running the real monitor (``jobdesk.gui.controller.Controller`` on the qasync loop,
offscreen, window shown) watching one of them through the real client (the engine's
WebSocket, then ``GET /api/jobs``). Once the engine is live, the store holds every job
and the table has applied them all and painted, the child collects garbage and reads
its VmRSS (and VmHWM, the peak) from /proc/self/status.

- **empty window** (the baseline): the monitor on the empty server.
- **100,000 jobs**: the monitor on the seeded server.
- **engine and store only**, empty and with 100,000 jobs: the same client without Qt
  (and, as the window does after a large load, the C heap's free pages given back), to
  tell what the jobs themselves cost from what the table and the window add.

The server sends every job whole (1.5 KB of JSON each); the monitor keeps summaries
(``JobSummary``: no log, sub-operations, payload, result or history) and fetches the
selected job whole, so the figure is what holding 100,000 jobs costs as the monitor
really does it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from bench import procs

JOBS = 100_000
TARGET_MB = 150.0
CHILD_TIMEOUT = 90.0
_CHILD = "import sys; from bench.monitor_memory import child; child(sys.argv[1:])"


def child(argv: list[str]) -> None:
    """In a fresh process: ``KIND URL TOKEN EXPECTED``; KIND is ``gui`` or ``store``."""
    kind, url, token, expected = argv[0], argv[1], argv[2], int(argv[3])
    if kind == "store":
        import asyncio

        procs.report(asyncio.run(_store_only(url, token, expected)))
        return
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(asyncio.wait_for(_gui(url, token, expected), 80))
    procs.report(result)


async def _until(condition: Any, within: float) -> None:
    import asyncio

    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the monitor did not load the jobs in time")
        await asyncio.sleep(0.02)


def _settled_rss() -> dict[str, Any]:
    import gc

    gc.collect()
    return {"rss_kb": procs.status_kb("VmRSS"), "hwm_kb": procs.status_kb("VmHWM")}


async def _gui(url: str, token: str, expected: int) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QObject

    from jobdesk.client.monitor import ServerProfile
    from jobdesk.core.connection import Transport
    from jobdesk.gui.controller import Controller

    started = time.monotonic()
    controller = Controller()
    window, model, store = controller.window, controller.model, controller.store
    painted_rows: list[int] = []

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted_rows.append(model.rowCount())
            return False

    watch = PaintWatch()
    window.table.viewport().installEventFilter(watch)
    window.show()
    controller.watch(ServerProfile("bench", url, token))
    engine = controller.monitor.engines["bench"]

    def loaded() -> bool:
        return (
            engine.state.value.transport is Transport.LIVE
            and len(store) == expected
            and model.pending() == 0
            and model.rowCount() == expected
        )

    await _until(loaded, 75)
    painted_rows.clear()
    window.table.viewport().update()
    await _until(lambda: bool(painted_rows), 10)  # a paint of the table as it now is
    loaded_at = time.monotonic()
    result = _settled_rss()
    result.update(rows=model.rowCount(), painted=painted_rows[-1], load_s=loaded_at - started)
    window.table.viewport().removeEventFilter(watch)
    controller.window.hide_on_close = True
    controller.quit()
    await controller.closed.wait()
    return result


async def _store_only(url: str, token: str, expected: int) -> dict[str, Any]:
    import asyncio

    from jobdesk.client.engine import Engine
    from jobdesk.core.connection import Transport
    from jobdesk.core.store import JobStore

    store = JobStore()
    engine = Engine("bench", url, token, store)
    task = asyncio.create_task(engine.run())
    await _until(
        lambda: engine.state.value.transport is Transport.LIVE and len(store) == expected, 75
    )
    from jobdesk.core.heap import release_free_memory

    release_free_memory()
    result = _settled_rss()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return result


def _run(home: Path, kind: str, server: procs.ServerProc, token: str, expected: int) -> Any:
    return procs.run_child(
        _CHILD, [kind, server.url, token, str(expected)], home, timeout=CHILD_TIMEOUT
    )


def main() -> int:
    print(procs.machine())
    began = time.monotonic()
    with procs.scratch("jobdesk-bench-memory-") as home:
        jobs = procs.make_jobs(JOBS)
        per_job_json = procs.json_bytes_per_job(jobs)
        tokens = procs.seed_database(home / "full.db", jobs)
        del jobs
        empty_tokens = procs.seed_database(home / "empty.db", [])
        print(
            f"{JOBS:,} jobs, {per_job_json:,.0f} bytes of JSON each on average: "
            f"{procs.JOB_DESCRIPTION}\n"
        )
        with procs.ServerProc(home / "empty.db") as empty:
            base = _run(home, "gui", empty, empty_tokens["viewer"], 0)
            store_base = _run(home, "store", empty, empty_tokens["viewer"], 0)
        with procs.ServerProc(home / "full.db") as full:
            loaded = _run(home, "gui", full, tokens["viewer"], JOBS)
            store_loaded = _run(home, "store", full, tokens["viewer"], JOBS)

    def mb(kb: float) -> str:
        return f"{kb / 1024:,.1f} MB"

    diff_kb = loaded["rss_kb"] - base["rss_kb"]
    store_kb = store_loaded["rss_kb"] - store_base["rss_kb"]
    rows = [
        ["empty window (baseline)", mb(base["rss_kb"]), mb(base["hwm_kb"]), "", ""],
        [
            f"{JOBS:,} jobs in the window",
            mb(loaded["rss_kb"]),
            mb(loaded["hwm_kb"]),
            f"+{mb(diff_kb)}",
            f"{diff_kb * 1024 / JOBS:,.0f}",
        ],
        [
            "engine and store only, no jobs",
            mb(store_base["rss_kb"]),
            mb(store_base["hwm_kb"]),
            "",
            "",
        ],
        [
            f"engine and store only, {JOBS:,} jobs",
            mb(store_loaded["rss_kb"]),
            mb(store_loaded["hwm_kb"]),
            f"+{mb(store_kb)}",
            f"{store_kb * 1024 / JOBS:,.0f}",
        ],
    ]
    print(procs.table(["case", "RSS", "peak RSS", "above its baseline", "bytes/job"], rows))
    table_kb = diff_kb - store_kb
    print(
        f"\nOf the {mb(diff_kb)}: the jobs in the store {mb(store_kb)}, the table model and "
        f"view {mb(table_kb)} ({table_kb * 1024 / JOBS:,.0f} bytes/job). "
        f"100,000 jobs loaded in {loaded['load_s']:.1f} s (from the Controller's creation "
        f"to the table painted with {loaded['painted']:,} rows)."
    )
    met = diff_kb / 1024 <= TARGET_MB
    print(
        f"Target (100,000 jobs at most {TARGET_MB:.0f} MB above the empty window): "
        f"{'met' if met else 'NOT met'} ({mb(diff_kb)}); {time.monotonic() - began:.0f} s"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
