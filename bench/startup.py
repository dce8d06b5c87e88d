"""Cold start: from a fresh process to the first paint of the job table, 10,000 jobs.

Two real server processes: one holding 10,000 realistic jobs (``bench.procs``), one
empty. Each run is a fresh Python process that starts the monitor as ``jobdesk demo``
does (``jobdesk.gui.app.run_monitor``'s steps: QApplication, the qasync loop, the
``Controller``, its window shown, one server watched through the real engine),
offscreen. The time counts from just before the parent starts the process (one
``time.monotonic()`` clock for all processes) to the first paint of the table that
shows every job (the viewport's paint event, timed after the paint):

- **10,000 jobs**: the first paint with all 10,000 rows in the table;
- **empty server** (the baseline): the first paint of the empty table once the engine is
  live (when the window painted before that, the moment it went live), so the
  difference is what the snapshot costs: fetching, decoding, storing and showing it.

Each child also reports its milestones (Python up, imports done, window shown, engine
live, first rows painted). Runs alternate between the cases; the table gives medians.

Modules are loaded from cached bytecode, as an installed monitor's are (pip and the
PyInstaller bundle compile it at install): the children use a bytecode folder of the
bench's own, filled by a first run that is not counted, even where the environment sets
PYTHONDONTWRITEBYTECODE. A third column repeats the 10,000-job case compiling every
module from source at every start, as a checkout in such an environment does.
"""

from __future__ import annotations

import sys
import time
from typing import Any

JOBS = 10_000
RUNS = 3
TARGET_S = 1.0
CHILD_TIMEOUT = 60.0
_CHILD = (
    "import time; t0 = time.monotonic()\n"
    "import sys; from bench.startup import child; child(t0, sys.argv[1:])"
)


def child(python_up: float, argv: list[str]) -> None:
    """In a fresh process: ``URL TOKEN EXPECTED``; prints one JSON line of milestones."""
    import json

    url, token, expected = argv[0], argv[1], int(argv[2])
    began = time.monotonic()
    import asyncio
    import importlib

    import qasync
    from PySide6.QtWidgets import QApplication

    qt_imported = time.monotonic()
    importlib.import_module("jobdesk.gui.app")  # what `jobdesk` imports: all of the monitor
    from jobdesk.client.monitor import ServerProfile
    from jobdesk.core.connection import Transport
    from jobdesk.gui.controller import Controller

    imported = time.monotonic()
    marks: dict[str, float] = {
        "python_up": python_up,
        "imports_started": began,
        "qt_imported": qt_imported,
        "imported": imported,
    }

    async def start() -> None:
        from PySide6.QtCore import QEvent, QObject

        controller = Controller()
        table, model = controller.window.table, controller.model
        controller.watch(ServerProfile("bench", url, token))
        engine = controller.monitor.engines["bench"]
        done = asyncio.Event()

        def live() -> bool:
            return engine.state.value.transport is Transport.LIVE

        def note_live(_: object) -> None:
            if live():
                marks.setdefault("live", time.monotonic())
                if expected == 0 and "first_paint" in marks:
                    marks.setdefault("complete_paint", marks["live"])
                    done.set()

        engine.state.subscribe(note_live)

        class PaintWatch(QObject):
            """Times each paint of the table's viewport after it is done."""

            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() != QEvent.Type.Paint:
                    return False
                table.viewportEvent(event)  # the paint itself, as Qt would call it
                now = time.monotonic()
                rows = model.rowCount()
                marks.setdefault("first_paint", now)
                if rows:
                    marks.setdefault("first_rows_paint", now)
                if rows == expected and model.pending() == 0 and live():
                    marks.setdefault("complete_paint", now)
                    done.set()
                return True

        watch = PaintWatch()
        table.viewport().installEventFilter(watch)
        controller.window.show()
        marks["window_shown"] = time.monotonic()
        await asyncio.wait_for(done.wait(), CHILD_TIMEOUT - 10)
        table.viewport().removeEventFilter(watch)
        marks["rows"] = model.rowCount()
        controller.window.hide_on_close = True
        controller.quit()
        await controller.closed.wait()

    app = QApplication([sys.argv[0]])
    app.setOrganizationName("jobdesk")
    app.setApplicationName("jobdesk")
    app.setQuitOnLastWindowClosed(False)
    marks["app_made"] = time.monotonic()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(start())
    print(json.dumps(marks), flush=True)


def _one(
    home: Any, server: Any, token: str, expected: int, bytecode: bool = True
) -> dict[str, float]:
    from bench import procs

    spawned = time.monotonic()
    marks = procs.run_child(
        _CHILD, [server.url, token, str(expected)], home, CHILD_TIMEOUT, bytecode
    )
    if marks["rows"] != expected:
        raise AssertionError(f"the table showed {marks['rows']} rows, not {expected}")
    return {key: value - spawned for key, value in marks.items() if key != "rows"}


STEPS = (
    ("Python up (interpreter start)", "python_up"),
    ("PySide6 and qasync imported", "qt_imported"),
    ("jobdesk's modules imported", "imported"),
    ("QApplication made", "app_made"),
    ("window shown (Controller made)", "window_shown"),
    ("first paint of the table", "first_paint"),
    ("engine live (snapshot in the store)", "live"),
    ("first paint showing rows", "first_rows_paint"),
    ("first paint of the whole table", "complete_paint"),
)


def main() -> int:
    from bench import procs

    print(procs.machine())
    began = time.monotonic()
    with procs.scratch("jobdesk-bench-startup-") as home:
        jobs = procs.make_jobs(JOBS)
        json_kb = procs.json_bytes_per_job(jobs) * JOBS / 1024
        tokens = procs.seed_database(home / "full.db", jobs)
        empty_tokens = procs.seed_database(home / "empty.db", [])
        print(
            f"{JOBS:,} jobs ({json_kb / 1024:,.1f} MB of JSON in the snapshot): "
            f"{procs.JOB_DESCRIPTION}\n"
        )
        runs: dict[str, list[dict[str, float]]] = {"empty": [], "full": [], "compiling": []}
        with (
            procs.ServerProc(home / "empty.db") as empty,
            procs.ServerProc(home / "full.db") as full,
        ):
            _one(home, empty, empty_tokens["viewer"], 0)  # fills the bytecode cache
            for _ in range(RUNS):
                runs["empty"].append(_one(home, empty, empty_tokens["viewer"], 0))
                runs["full"].append(_one(home, full, tokens["viewer"], JOBS))
                runs["compiling"].append(_one(home, full, tokens["viewer"], JOBS, bytecode=False))

    def med(case: str, mark: str) -> float | None:
        if not all(mark in run for run in runs[case]):
            return None
        return procs.median([run[mark] for run in runs[case]])

    def ms(seconds: float | None) -> str:
        return "" if seconds is None else f"{1000 * seconds:,.0f} ms"

    rows = []
    for label, mark in STEPS:
        base, ours = med("empty", mark), med("full", mark)
        difference = None if base is None or ours is None else ours - base
        rows.append(
            [
                label,
                ms(base),
                ms(ours),
                "" if difference is None else f"{1000 * difference:+,.0f} ms",
                ms(med("compiling", mark)),
            ]
        )
    print(f"Milestones from process start, median of {RUNS} runs each:")
    headers = ["milestone", "empty server", f"{JOBS:,} jobs", "difference"]
    print(procs.table([*headers, f"{JOBS:,} jobs, no bytecode cache"], rows))

    def imports(case: str) -> str:
        started, qt, done = (
            med(case, m) or 0.0 for m in ("imports_started", "qt_imported", "imported")
        )
        return (
            f"{ms(done - started)} (PySide6 and qasync {ms(qt - started)}, jobdesk's modules "
            f"{ms(done - qt)}), after {ms(started)} of interpreter start"
        )

    print(
        f"\nPython+Qt imports: {imports('full')}; compiling every module: {imports('compiling')}."
    )
    for case, label in (
        ("full", f"{JOBS:,} jobs"),
        ("empty", "empty"),
        ("compiling", "no bytecode"),
    ):
        each = ", ".join(ms(run["complete_paint"]) for run in runs[case])
        print(f"Each run, to the whole table painted, {label}: {each}")
    figure = med("full", "complete_paint") or 0.0
    snapshot = figure - (med("empty", "complete_paint") or 0.0)
    met = figure <= TARGET_S
    print(
        f"Target (cold start to the table painted with {JOBS:,} jobs, at most "
        f"{TARGET_S:.0f} s): {'met' if met else 'NOT met'} ({ms(figure)}, of which the "
        f"snapshot {ms(snapshot)}); {time.monotonic() - began:.0f} s"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
