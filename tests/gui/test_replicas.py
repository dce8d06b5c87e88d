"""A profile with replicas in the monitor: the status bar names the one in use, and an
operator's action goes to it (the profile's own URL is down)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from jobdesk.client.monitor import ServerProfile
from jobdesk.client.replicas import host_port
from jobdesk.gui.controller import Controller
from jobdesk.protocol import Status
from tests.client.test_failover import free_port
from tests.conftest import RunningServer
from tests.gui.test_controller_queue import run_on_qasync, until


@pytest.fixture(autouse=True)
def private_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """settings.json and servers.json in a temporary folder; tray balloons, not D-Bus."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


def test_the_status_bar_names_the_replica_in_use_and_actions_go_there(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # the profile's URL: nobody listens there
    replica = host_port(server.url)

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as c:
            response = await c.post("/api/jobs", json={"jobType": "render"})
            job_id = response.raise_for_status().json()["jobId"]
        controller = Controller()
        qtbot.addWidget(controller.window)
        try:
            profile = ServerProfile(
                "cluster", down, server.tokens["operator"], options={"replicas": server.url}
            )
            controller.watch(profile)
            status = controller.window.status.server("cluster")
            await until(lambda: f"live push via {replica}" in status.label.text())
            assert controller.monitor.engines["cluster"].url == server.url

            key = ("cluster", job_id)
            await until(lambda: controller.model.rowCount() == 1)  # the table shows the job
            window = controller.window
            window.select(key)
            await until(lambda: window.cancel_action.isEnabled())
            window.cancel_action.trigger()
            window.confirmation.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: window.statusBar().currentMessage() == "Cancelled 1 job(s)")
            await until(lambda: controller.store.get(key).status is Status.CANCELLED)  # type: ignore[union-attr]
        finally:
            controller.quit()
            await controller.closed.wait()
            controller.window.hide_on_close = True  # qtbot's closing it must not quit again

    run_on_qasync(qapp, scenario)
