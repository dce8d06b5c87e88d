"""The History view: its model (qtmodeltester, through paging past the cap), the view's
filter bar and states, and the whole monitor on qasync against a real server whose
retention moves finished jobs out of its live set (Ctrl+3, Load older, the detail panel,
a filter, a failed request), and a server whose kind keeps no history."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from jobdesk.client.history import HistoryStatus
from jobdesk.client.monitor import Monitor, ServerProfile
from jobdesk.core.connection import Transport
from jobdesk.core.history import HistoryRows
from jobdesk.core.store import JobStore
from jobdesk.gui.controller import Controller
from jobdesk.gui.history_model import CREATED, DURATION, ERROR, NAME, STATUS, HistoryTableModel
from jobdesk.gui.history_view import HistoryView
from jobdesk.gui.history_wiring import HistoryWiring
from jobdesk.protocol import JobSummary, Status
from jobdesk.server.tokens import revoke_token
from tests.client.engine_harness import FAST
from tests.conftest import RunningServer
from tests.gui.test_controller_queue import private_config, run_on_qasync, until

__all__ = ["private_config"]  # the fixture: settings and servers in a temporary folder

T0 = "2026-12-02T05:00:00.000Z"


def summary(n: int, **fields: Any) -> JobSummary:
    values: dict[str, Any] = {
        "created_at": T0,
        "updated_at": T0,
        "status": Status.COMPLETED,
        "finished_at": "2026-12-02T05:02:05.000Z",
        **fields,
    }
    return JobSummary(id=f"job_{n}", name=f"frame {n}", **values)


def test_the_model_passes_the_model_tester_while_paging_past_its_cap(
    qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    rows = HistoryRows(cap=5)
    model = HistoryTableModel(rows, clock=lambda: 0.0)
    rows.reset([summary(n) for n in (9, 8, 7)])
    check: Callable[..., None] = qtmodeltester.check  # pytest-qt leaves it unannotated
    check(model)  # Qt's tester stays attached: the changes below are checked as they happen
    rows.extend([summary(6), summary(5, status=Status.FAILED, error="GPU lost\nat step 3")])
    assert model.rowCount() == 5
    rows.extend([summary(4), summary(3)])  # past the cap: the two newest go, the rest stay
    assert [model.job_at(r).id for r in range(5)] == ["job_7", "job_6", "job_5", "job_4", "job_3"]  # type: ignore[union-attr]
    failed = model.index(2, 0)
    assert failed.siblingAtColumn(NAME).data() == "frame 5"
    assert failed.siblingAtColumn(NAME).data(Qt.ItemDataRole.ToolTipRole) == "job_5"
    assert failed.siblingAtColumn(STATUS).data() == "failed"
    assert failed.siblingAtColumn(STATUS).data(Qt.ItemDataRole.DecorationRole) is not None
    assert failed.siblingAtColumn(ERROR).data() == "GPU lost"
    assert failed.siblingAtColumn(ERROR).data(Qt.ItemDataRole.ToolTipRole) == "GPU lost\nat step 3"
    assert failed.siblingAtColumn(DURATION).data() == "2 min 05 s"
    assert "(UTC)" in failed.siblingAtColumn(CREATED).data(Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(model.dataChanged) as changed:
        rows.refresh([summary(4, status=Status.CANCELLED, version=2)])
    assert changed.args[0].row() == changed.args[1].row() == 3
    assert model.index(3, STATUS).data() == "cancelled"
    rows.reset([])
    assert model.rowCount() == 0


def test_the_view_asks_and_shows_what_it_is_given(qtbot: QtBot) -> None:
    view = HistoryView(HistoryRows(cap=3))
    qtbot.addWidget(view)
    view.set_servers(["local"])
    assert not view.server.isVisibleTo(view)  # one server: nothing to choose
    view.status.setCurrentIndex(view.status.findData("failed"))
    view.owner.setText("alice")
    view.created_to.setText("2026-12-01")
    with qtbot.waitSignal(view.search_requested) as asked:
        view.search_button.click()
    server, wanted = asked.args
    assert server == "local"
    assert (wanted.status, wanted.owner, wanted.job_type) == ("failed", "alice", None)
    assert wanted.created_to is not None  # the day after, local midnight, as UTC
    assert wanted.created_to.endswith("Z")

    view.created_from.setText("last tuesday")
    with qtbot.assertNotEmitted(view.search_requested):
        view.search_button.click()
    assert view.error.text().startswith("Created from: 'last tuesday' is not a date or time")
    assert view.highlighted() == [view.created_from]

    view.show_status(HistoryStatus("local", wanted, searched=True, shown=3, more=True, dropped=2))
    assert view.highlighted() == []
    assert view.state.text() == (
        "3 jobs matching failed · owner alice · to " + wanted.created_to
        + ", newest first; older ones match too"
    )  # fmt: skip
    assert view.load_older.isEnabled()
    assert view.capped.text().startswith("At most 3 rows are kept: the 2 newest were let go")
    with qtbot.waitSignal(view.load_older_requested):
        view.load_older.click()

    refused = HistoryStatus(
        "local", searched=True, error="invalid q: too long (q)", error_field="q"
    )
    view.show_status(refused)
    assert view.error.text() == "Not read: invalid q: too long (q)"
    assert view.highlighted() == [view.text]
    assert not view.load_older.isEnabled()

    view.show_status(HistoryStatus("seeds", readable=False, searched=True))
    assert view.pages.currentWidget() is view.message
    assert view.message.text() == "seeds keeps no history jobdesk can read"
    assert not view.search_button.isEnabled()


@contextlib.asynccontextmanager
async def watching(
    qtbot: QtBot, server: RunningServer, kind: str = "jobdesk", page: int = 2
) -> AsyncIterator[Controller]:
    controller = Controller(settings=dataclasses.replace(FAST, history_page=page))
    qtbot.addWidget(controller.window)
    try:
        controller.watch(ServerProfile("local", server.url, server.tokens["viewer"], kind))
        engine = controller.monitor.engines["local"]
        await until(lambda: engine.state.value.transport in (Transport.LIVE, Transport.POLLING))
        yield controller
    finally:
        controller.quit()
        await controller.closed.wait()
        controller.window.hide_on_close = True  # qtbot's closing it later must not quit again


async def finish(
    http: httpx.AsyncClient, name: str, job_type: str = "render", error: str = ""
) -> str:
    started = await http.post("/api/admin/jobs/start", json={"name": name, "jobType": job_type})
    job_id: str = started.json()["jobId"]
    if error:
        await http.post(f"/api/admin/jobs/{job_id}/fail", json={"error": error})
    else:
        await http.post(f"/api/admin/jobs/{job_id}/complete", json={"result": {"frames": 24}})
    return job_id


@pytest.mark.parametrize("config_overrides", [{"sweep_interval_s": 0.05, "retention_count": 1}])
def test_ctrl_3_reads_the_history_pages_back_and_shows_a_job_whole(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with (
            httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as http,
            watching(qtbot, server) as controller,
        ):
            made = [await finish(http, f"frame {n}") for n in range(4)]
            failed = await finish(http, "comp final", "comp", "disk full\non /render")
            store = controller.store
            await until(lambda: [job_id for (_, job_id), _ in store.items()] == [failed])
            window = controller.window
            window.show()
            views = window.views
            assert views.history_action.shortcut() == QKeySequence("Ctrl+3")
            assert not controller.history.browser.fetches  # nothing asked before it is shown
            views.history_action.trigger()
            view = views.history
            assert views.pages.currentWidget() is view
            assert window.jobs_toolbar.isHidden()  # the jobs' search is not the history's
            assert view.focusProxy() is view.table
            rows = controller.history.browser.rows
            await until(lambda: [j.id for j in rows] == [failed, made[3]])
            assert view.state.text() == "2 jobs, newest first; older ones match too"
            assert view.load_older.isEnabled()

            fetches = controller.history.browser.fetches
            window.find_action.trigger()  # Find searches the jobs: back to them
            assert views.pages.currentWidget() is views.jobs
            assert not window.jobs_toolbar.isHidden()
            views.history_action.trigger()
            assert len(rows) == 2  # shown again: what was read is kept, nothing asked
            assert controller.history.browser.fetches == fetches

            view.load_older.click()
            await until(lambda: len(rows) == 4)
            view.load_older.click()
            await until(lambda: [j.id for j in rows] == [failed, *made[::-1]])
            await until(lambda: not view.load_older.isEnabled())
            assert view.state.text().endswith("no older ones match")

            view.select_row(4)  # the oldest: long gone from the live set
            assert store.get(("local", made[0])) is None
            panel = view.detail
            assert panel.isVisible()
            await until(lambda: '"frames": 24' in panel.outcome.toPlainText())
            assert panel.title.text().startswith("frame 0")
            assert panel.detail_note.text() == ""

            view.status.setCurrentIndex(view.status.findData("failed"))  # searches at once
            await until(lambda: [j.id for j in rows] == [failed])
            assert not panel.isVisible()  # the selection went with the old rows
            view.select_row(0)
            await until(lambda: panel.outcome.toPlainText() == "disk full\non /render")

            view.status.setCurrentIndex(0)
            view.text.setText("FRAME 2")
            view.text.returnPressed.emit()
            await until(lambda: [j.id for j in rows] == [made[2]])

            started = await http.post("/api/admin/jobs/start", json={"name": "live one"})
            live = started.json()["jobId"]
            view.text.clear()
            view.search_button.click()
            await until(lambda: rows.row_of(live) == 0)
            assert view.model.index(0, STATUS).data() == "running"
            await http.post(f"/api/admin/jobs/{live}/complete", json={})
            await until(lambda: view.model.index(0, STATUS).data() == "completed")  # in place

            revoke_token(server.db_path, "viewer-1")  # the server refuses it from now on
            engine = controller.monitor.engines["local"]
            await until(lambda: engine.state.value.transport is Transport.AUTH_FAILED)
            view.search_button.click()
            await until(lambda: view.error.isVisible())
            assert view.error.text() == "Not read: the server refused the token (HTTP 401)"
            assert len(rows) == 0

            views.jobs_action.trigger()
            assert views.pages.currentWidget() is views.jobs

    run_on_qasync(qapp, scenario)


def test_a_server_whose_kind_keeps_no_history_says_so(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with watching(qtbot, server, kind="admin-api") as controller:
            window = controller.window
            window.show()
            window.views.history_action.trigger()
            view = window.views.history
            await until(lambda: view.pages.currentWidget() is view.message)
            assert view.message.text() == "local keeps no history jobdesk can read"
            assert not view.load_older.isEnabled()
            assert controller.history.browser.fetches == 0

    run_on_qasync(qapp, scenario)


@pytest.mark.parametrize("config_overrides", [{"sweep_interval_s": 0.05, "retention_count": 1}])
def test_paging_past_the_cap_lets_the_newest_go_and_says_so(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        store = JobStore()
        monitor = Monitor(store, dataclasses.replace(FAST, history_page=2))
        tasks: list[asyncio.Task[None]] = []
        view = HistoryView(HistoryRows(cap=3))
        qtbot.addWidget(view)
        wiring = HistoryWiring(
            view, store, monitor, lambda work: tasks.append(asyncio.ensure_future(work))
        )
        try:
            async with httpx.AsyncClient(
                base_url=server.url, headers=server.headers("worker")
            ) as http:
                made = [await finish(http, f"frame {n}") for n in range(5)]
            monitor.add(ServerProfile("local", server.url, server.tokens["viewer"]))
            wiring.servers_changed()
            view.show()  # the first show searches
            rows = wiring.browser.rows
            await until(lambda: [j.id for j in rows] == made[:2:-1])
            assert not view.capped.isVisibleTo(view)
            view.load_older.click()
            await until(lambda: [j.id for j in rows] == made[3:0:-1])  # the newest let go
            assert view.capped.isVisibleTo(view)
            assert view.capped.text().startswith("At most 3 rows are kept: the 1 newest")
            assert view.model.rowCount() == 3
            view.search_button.click()  # searching again starts from the newest
            await until(lambda: [j.id for j in rows] == made[:2:-1])
            assert not view.capped.isVisibleTo(view)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await monitor.aclose()

    run_on_qasync(qapp, scenario)
