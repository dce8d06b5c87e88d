"""A worker rides out its server being killed (kill -9) and restarted mid-job."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobdesk.protocol import Status
from jobdesk.sdk import JobdeskClient, RetryPolicy
from tests.conftest import make_tokens
from tests.server.procserver import ServerProcess

PATIENT = RetryPolicy(max_attempts=1000, base_delay=0.05, max_delay=0.5, max_elapsed=60.0)


def test_progress_and_log_reported_during_an_outage_arrive_after_the_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "restart.db"
    token = make_tokens(db_path)["worker"]
    first = ServerProcess(db_path)
    try:
        with JobdeskClient(first.url, token, retry=PATIENT, flush_interval=0.05) as client:
            job = client.start_job(name="survivor")
            job.progress(10)
            job.flush()
            first.kill()
            caplog.set_level("INFO", logger="jobdesk.sdk")
            job.info("written while the server is down")
            job.progress(50, "half way")
            second = ServerProcess(db_path, port=first.port)
            try:
                job.flush()
                seen = client.get_job(job.job_id)
                assert (seen.status, seen.progress, seen.message) == (
                    Status.RUNNING,
                    50.0,
                    "half way",
                )
                assert [m.text for m in seen.messages] == ["written while the server is down"]
                job.complete()
                assert client.get_job(job.job_id).status is Status.COMPLETED
            finally:
                second.stop()
    finally:
        first.stop()
    assert any("retrying" in record.getMessage() for record in caplog.records)
