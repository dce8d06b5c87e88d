"""Acknowledging failures in the whole monitor, against a real server: selecting a failed
row is not acknowledging it, a new token keeps the badge, a restart keeps it (saved in
the config folder), and the Acknowledge action clears it for good."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobdesk.client.actions import OperatorActions
from jobdesk.client.monitor import ServerProfile
from jobdesk.core.tray_state import TrayState
from jobdesk.gui.controller import Controller
from jobdesk.protocol import Status
from jobdesk.protocol.rest import CreateJobRequest
from tests.conftest import RunningServer
from tests.gui.test_controller_queue import monitor, private_config, run_on_qasync, until

__all__ = ["private_config"]  # the fixture, used here too


def badge(controller: Controller) -> int:
    return controller.center.status.unacknowledged


def test_failures_wait_for_acknowledge_across_a_new_token_and_a_restart(
    qapp: QApplication, qtbot: QtBot, server: RunningServer, tmp_path: Path
) -> None:
    token = server.tokens["operator"]
    actions = OperatorActions(server.url, token)

    async def scenario() -> None:
        async with monitor(qtbot, server, token) as controller:
            job_id = await actions.submit(CreateJobRequest(name="send the newsletter"))
            await actions.cancel([job_id])  # cancelled: a failure, for the tray
            key = ("local", job_id)
            await until(lambda: badge(controller) == 1)
            assert controller.tray.status.state is TrayState.FAILURES
            await until(lambda: controller.window.jobs.row_of_key(key) is not None)
            controller.window.select(key)
            await until(lambda: controller._selected == [key])
            assert badge(controller) == 1  # looking is not dealing with it
            # the Servers dialog saved with a new token for the same server
            await controller.replace([ServerProfile("local", server.url, server.tokens["viewer"])])
            await until(lambda: controller.center.status.state is TrayState.FAILURES)
            assert badge(controller) == 1
        saved = json.loads((tmp_path / "jobdesk" / "unacknowledged.json").read_text())
        assert saved == {"unacknowledged": {"local": [job_id]}}

        async with monitor(qtbot, server, token) as restarted:
            await until(lambda: restarted.window.jobs.row_of_key(key) is not None)
            assert badge(restarted) == 1  # restored, and the server still holds it failed
            assert restarted.center.is_unacknowledged(key)
            restarted.window.select(key)
            await until(lambda: restarted.window.acknowledge_action.isEnabled())
            restarted.window.acknowledge_action.trigger()
            assert badge(restarted) == 0
            assert restarted.tray.status.state is not TrayState.FAILURES

        async with monitor(qtbot, server, token) as again:
            await until(lambda: again.store.get(key) is not None)
            assert again.store.get(key).status is Status.CANCELLED  # type: ignore[union-attr]
            assert badge(again) == 0

    run_on_qasync(qapp, scenario)
