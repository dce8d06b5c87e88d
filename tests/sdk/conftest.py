"""Fixtures of the SDK's unit tests: a client wired to a FakeServer, with fast retries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from jobdesk.sdk import AsyncJobdeskClient, JobdeskClient, RetryPolicy
from tests.sdk.fakes import FakeServer

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0, max_elapsed=5.0)
INTERVAL = 0.05


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(fake: FakeServer) -> Iterator[JobdeskClient]:
    with JobdeskClient(
        "http://jobdesk.test",
        "jd_secret",
        retry=FAST_RETRY,
        transport=fake.transport(),
        flush_interval=INTERVAL,
    ) as client:
        yield client


@pytest.fixture
async def aclient(fake: FakeServer) -> AsyncIterator[AsyncJobdeskClient]:
    async with AsyncJobdeskClient(
        "http://jobdesk.test",
        "jd_secret",
        retry=FAST_RETRY,
        transport=fake.transport(),
        flush_interval=INTERVAL,
    ) as client:
        yield client
