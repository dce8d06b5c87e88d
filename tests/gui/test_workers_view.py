"""The workers and queues view: its models, charts and warning, the sparkline, and the
whole monitor against a real server (Ctrl+2 follows the overview, Ctrl+1 stops it)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from jobdesk.client.overviews import ServerOverview
from jobdesk.gui.charts import DepthChart, OutcomesChart
from jobdesk.gui.sparkline import Sparkline
from jobdesk.gui.workers_models import JobTypesModel, WorkersModel
from jobdesk.gui.workers_view import WorkersView
from jobdesk.protocol.overview import JobTypeView, MinuteBucket, QueueOverview, WorkerView
from tests.conftest import RunningServer
from tests.gui.test_controller_queue import monitor, private_config, run_on_qasync, until

__all__ = ["private_config"]  # the fixture, used by the controller test below

NOW = "2026-12-02T05:00:00Z"


def overview() -> QueueOverview:
    return QueueOverview(
        timestamp=NOW,
        live_after=90,
        workers=[
            WorkerView(
                name="thumbs-1",
                job_types=["thumbnail"],
                current_job="job_1",
                last_seen=NOW,
                live=True,
                done_last_hour=12,
                failed_last_hour=1,
            ),
            WorkerView(name="old-1", job_types=["ocr"], last_seen=NOW, live=False),
        ],
        job_types=[
            JobTypeView(job_type="thumbnail", queued=2, running=1, oldest_queued_s=5, served=True),
            JobTypeView(
                job_type="video_render", queued=3, running=0, oldest_queued_s=250, served=False
            ),
        ],
        minutes=[
            MinuteBucket(
                start=NOW, completed=i % 4, failed=i % 7 == 0, queued={"video_render": i // 20}
            )
            for i in range(60)
        ],
    )


def test_the_models_pass_the_model_tester(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    workers, types = WorkersModel(), JobTypesModel()
    workers.set_rows(overview().workers)
    types.set_rows(overview().job_types)
    check: Callable[..., None] = qtmodeltester.check  # pytest-qt leaves it unannotated
    check(workers)
    check(types)
    assert workers.index(0, 3).data() == "job_1"
    assert workers.index(1, 3).data() == "idle"
    assert types.index(1, 4).data() == "NO LIVE WORKER"
    assert types.index(1, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    assert types.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None


def test_the_view_warns_of_a_type_nobody_serves(qtbot: QtBot) -> None:
    view = WorkersView()
    qtbot.addWidget(view)
    view.show_overviews({"local": ServerOverview("local", overview())})
    view.show()
    assert view.warning.text() == "nobody serves video_render: 3 queued, oldest 4 min"
    assert view.warning.isVisible()
    assert view.workers.rowCount() == 2
    assert view.job_types.rowCount() == 2
    assert not view.grab().isNull()  # the charts paint
    assert view.depth_chart.types() == ["video_render"]
    assert view.outcomes_chart.peak() == 3 + 1


def test_a_failed_refresh_keeps_the_last_overview_and_says_why(qtbot: QtBot) -> None:
    view = WorkersView()
    qtbot.addWidget(view)
    view.show_overviews({"local": ServerOverview("local", overview(), "cannot connect")})
    assert view.state.text() == "Not refreshed: cannot connect"
    assert view.workers.rowCount() == 2


def test_charts_and_sparkline_paint_empty_and_full(qtbot: QtBot) -> None:
    for chart in (OutcomesChart(), DepthChart()):
        qtbot.addWidget(chart)
        assert not chart.grab().isNull()
        chart.set_minutes(overview().minutes)
        assert not chart.grab().isNull()
    spark = Sparkline()
    qtbot.addWidget(spark)
    spark.set_points([(1.0, 0.0)])
    assert spark.isHidden()
    spark.set_points([(1.0, 0.0), (2.0, 40.0), (3.0, 55.0)])
    assert not spark.isHidden()
    assert not spark.grab().isNull()


def test_ctrl_2_shows_who_serves_what_and_the_panel_names_an_unserved_job(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with (
            httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as http,
            monitor(qtbot, server, server.tokens["operator"]) as controller,
        ):
            window = controller.window
            window.show()
            claim = {"jobTypes": ["thumbnail"], "worker": "thumbs-1"}
            assert (await http.post("/api/queue/claim", json=claim)).status_code == 200
            job = await http.post("/api/jobs", json={"jobType": "video_render"})
            job_id = job.json()["jobId"]
            follower = controller.workers.follower
            assert not follower.wanted
            window.views.workers_action.trigger()
            view = window.views.workers
            await until(lambda: view.warning.text().startswith("nobody serves video_render: 1"))
            assert [w.name for w in view.workers.rows] == ["thumbs-1"]
            assert follower.wanted

            window.views.jobs_action.trigger()
            assert not follower.wanted
            await until(lambda: window.reveal(("local", job_id)))
            note = window.detail.queue_note
            await until(lambda: note.text().startswith("No worker serves video_render"))
            assert note.isVisible()
            assert follower.wanted  # for the panel, while it shows the waiting job

    run_on_qasync(qapp, scenario)


def test_the_selected_running_jobs_progress_is_drawn_over_time(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with (
            httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as http,
            monitor(qtbot, server, server.tokens["operator"]) as controller,
        ):
            window = controller.window
            started = await http.post("/api/admin/jobs/start", json={"name": "render"})
            key = ("local", started.json()["jobId"])
            history = controller.workers.history

            def seen(percent: float) -> Callable[[], bool]:
                return lambda: [p for _, p in history.points(key)][-1:] == [percent]

            for percent in (10.0, 40.0, 70.0):  # one at a time: each is its own point
                body = {"progress": percent / 100}
                await http.post(f"/api/admin/jobs/{key[1]}/progress", json=body)
                await until(seen(percent))
            await until(lambda: window.reveal(key))
            spark = window.detail.sparkline
            assert [p for _, p in spark.points][-3:] == [10.0, 40.0, 70.0]
            assert not spark.isHidden()
            assert window.detail.queue_note.text() == ""

    run_on_qasync(qapp, scenario)
