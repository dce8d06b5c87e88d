"""A server at its active-job limit refuses with TOO_MANY_ACTIVE_JOBS, and is not retried."""

from __future__ import annotations

import pytest

from jobdesk.sdk import JobdeskClient, SdkError
from tests.conftest import RunningServer


@pytest.mark.parametrize("config_overrides", [{"max_active_jobs": 1}])
def test_the_limit_is_reported_and_frees_up_when_a_job_ends(server: RunningServer) -> None:
    with JobdeskClient(server.url, server.tokens["worker"]) as client:
        first = client.start_job()
        with pytest.raises(SdkError) as caught:
            client.create_job()
        assert (caught.value.code, caught.value.status) == ("TOO_MANY_ACTIVE_JOBS", 429)
        assert caught.value.retryable
        first.complete()
        assert client.create_job().startswith("job_")
