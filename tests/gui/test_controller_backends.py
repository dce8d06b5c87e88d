"""One monitor, three profiles of three kinds, one table: the same jobdesk server watched
as `jobdesk`, as seed 001's `admin-api` and as seed 002's `jobs-api`. Every job id is in
all three profiles, so rows keyed by (profile, id) must never collide; and what each row
offers follows its backend's capabilities."""

from __future__ import annotations

import httpx
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.monitor import ServerProfile
from jobdesk.core.store import JobStore
from jobdesk.gui.models.cells import UNKNOWN_PROGRESS
from jobdesk.gui.models.job_table import JobTableModel
from jobdesk.gui.models.roles import Role
from jobdesk.protocol import Status
from tests.conftest import RunningServer
from tests.gui.job_model_helpers import job
from tests.gui.test_controller_queue import monitor, run_on_qasync, until


def test_three_kinds_in_one_table_never_collide_and_offer_what_they_can(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as c:
            ids = [
                (await c.post("/api/admin/jobs/start", json={"jobType": "render"})).json()["jobId"]
                for _ in range(2)
            ]
            await c.post(f"/api/admin/jobs/{ids[1]}/fail", json={"error": "out of memory"})
        token = server.tokens["operator"]
        async with monitor(qtbot, server, token) as controller:
            controller.watch(ServerProfile("admin", server.url, token, "admin-api"))
            controller.watch(
                ServerProfile("tracked", server.url, token, "jobs-api", {"jobs": ",".join(ids)})
            )
            model = controller.model
            wanted = {(p, i) for p in ("local", "admin", "tracked") for i in ids}
            await until(lambda: {k for k, _ in controller.store.items()} >= wanted)
            await until(lambda: model.rowCount() == len(wanted))
            rows = {model.key_of_row(r): r for r in range(model.rowCount())}
            assert set(rows) == wanted  # one row per (profile, id): equal ids never collide
            for profile in ("local", "admin", "tracked"):
                job = controller.store.get((profile, ids[1]))
                assert job is not None
                assert job.status is Status.FAILED

            window = controller.window
            assert window.cancel_action.isVisible()  # the jobdesk server offers it
            running = {p: rows[(p, ids[0])] for p in ("local", "admin", "tracked")}
            assert model.index(running["local"], 0).data(Role.PROGRESS) == 0.0

            def select(row: int) -> None:
                selection = window.table.selectionModel()
                selection.select(
                    window.table.model().index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )

            select(running["local"])
            assert window.cancel_action.isEnabled()
            assert window.force_fail_action.isEnabled()
            select(running["admin"])  # seed 001: force-fail, but no cancel
            assert not window.cancel_action.isEnabled()
            assert window.force_fail_action.isEnabled()
            select(running["tracked"])  # seed 002: no actions at all
            assert not window.cancel_action.isEnabled()
            assert not window.force_fail_action.isEnabled()

            only_tracked = ServerProfile("tracked", server.url, token, "jobs-api", {"jobs": ids[0]})
            await controller.replace([only_tracked])
            await until(lambda: not window.cancel_action.isVisible())  # nobody can cancel now
            assert not window.new_job_action.isVisible()
            assert not window.retry_action.isVisible()

    run_on_qasync(qapp, scenario)


def test_a_backend_without_progress_shows_an_indeterminate_bar(qtbot: QtBot) -> None:
    store = JobStore()
    store.apply(
        "appsync",
        epoch="e",
        jobs=[
            job("a", status=Status.RUNNING, progress=0.0),
            job("b", status=Status.COMPLETED, progress=100.0),
        ],
        replace=True,
    )
    model = JobTableModel(
        store, batch_ms=0, capabilities_of=lambda server: Capabilities(Can.PUSH | Can.LIST)
    )
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    progress = {model.key_of_row(r): model.index(r, 0).data(Role.PROGRESS) for r in range(2)}
    assert progress[("appsync", "a")] == UNKNOWN_PROGRESS  # running, nothing reported
    assert progress[("appsync", "b")] == 100.0  # finished: done is done
    model.detach()
