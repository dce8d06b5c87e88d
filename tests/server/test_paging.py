"""Lists a page at a time: every job exactly once, a snapshot's pages plus the resync
since the first page's seq equal the server's state however the jobs change meanwhile,
and the page size's maximum is a clear 400."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jobdesk.protocol.rest import DEFAULT_PAGE, MAX_PAGE
from jobdesk.server.pages import SCAN_FACTOR
from tests.conftest import RunningServer
from tests.polling import wait_for


def pages(client: httpx.Client, path: str, **query: Any) -> Iterator[dict[str, Any]]:
    """Every page of one list, following nextCursor."""
    cursor: str | None = None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        yield page
        cursor = page.get("nextCursor")
        if cursor is None:
            assert "nextCursor" not in page  # left out, not null, when the list is complete
            return


def create(client: httpx.Client, count: int) -> list[str]:
    ids = []
    for n in range(count):
        path = "/api/admin/jobs/start" if n % 3 else "/api/jobs"  # running and queued
        response = client.post(path, json={"name": f"job {n}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["jobId"])
    return ids


def test_snapshot_pages_hold_every_job_exactly_once_in_id_order(operator: httpx.Client) -> None:
    ids = create(operator, 40)
    read = list(pages(operator, "/api/jobs", limit=7))
    assert [len(page["jobs"]) for page in read] == [7, 7, 7, 7, 7, 5]
    seen = [job["id"] for page in read for job in page["jobs"]]
    assert seen == sorted(ids)
    assert {page["seq"] for page in read} == {40}
    assert all(page["removed"] == [] for page in read)


def test_resync_pages_go_in_seq_order_each_saying_the_seq_it_brings(
    operator: httpx.Client,
) -> None:
    ids = create(operator, 20)
    for job_id in ids[::4]:  # five of them change again: they move to the end
        operator.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5})
    epoch = operator.get("/api/jobs").json()["epoch"]
    read = list(pages(operator, "/api/jobs", since=0, epoch=epoch, limit=6))
    # creations at seq 1-20, then the five updates at 21-25; a page stops at its last change
    assert [page["seq"] for page in read] == [8, 16, 23, 25]
    assert [len(page["jobs"]) for page in read] == [6, 6, 6, 2]
    order = [job["id"] for page in read for job in page["jobs"]]
    assert order == [j for j in ids if j not in ids[::4]] + ids[::4]
    assert all(page["seq"] >= max(job["version"] for job in page["jobs"]) for page in read)


def test_admin_list_is_seed_001s_active_jobs_and_pages_the_same_way(
    operator: httpx.Client,
) -> None:
    ids = create(operator, 12)
    for job_id in ids[:4]:
        operator.post(f"/api/admin/jobs/{job_id}/force-fail", json={})
    plain = operator.get("/api/admin/jobs").json()
    assert list(plain) == ["jobs"]  # seed 001's shape: no cursor when nothing was cut
    assert sorted(job["id"] for job in plain["jobs"]) == sorted(ids[4:])
    assert {job["status"] for job in plain["jobs"]} == {"pending", "running"}
    read = list(pages(operator, "/api/admin/jobs", includePast="true", limit=5))
    assert [len(page["jobs"]) for page in read] == [5, 5, 2]
    assert [job["id"] for page in read for job in page["jobs"]] == sorted(ids)
    assert all(list(page) == ["jobs", "nextCursor"] for page in read[:-1])


def test_a_filter_matching_few_jobs_costs_pages_not_a_long_one(
    server: RunningServer, operator: httpx.Client
) -> None:
    create(operator, 30)
    with httpx.Client(base_url=server.url, headers=server.headers("worker2")) as other:
        (mine,) = create(other, 1)
    read = list(pages(operator, "/api/jobs", owner="worker-2", limit=2))
    assert [job["id"] for page in read for job in page["jobs"]] == [mine]
    assert len(read) >= 31 // (2 * SCAN_FACTOR)  # each page looked at 8 jobs at most
    assert any(page["jobs"] == [] and "nextCursor" in page for page in read)


@pytest.mark.parametrize(
    "path", ["/api/jobs", "/api/jobs?since=0", "/api/admin/jobs", "/api/admin/jobs?includePast=1"]
)
def test_the_page_size_has_a_maximum_refused_with_a_clear_400(
    operator: httpx.Client, path: str
) -> None:
    create(operator, 3)
    assert operator.get(path, params={"limit": MAX_PAGE}).status_code == 200
    for limit in (MAX_PAGE + 1, 10**6, 0, -1):
        response = operator.get(path, params={"limit": limit})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "limit")
        assert str(MAX_PAGE if limit > 0 else 1) in error["message"]
    assert operator.get(path, params={"limit": "null"}).json()["error"]["field"] == "limit"


def test_without_a_limit_a_page_holds_the_default(operator: httpx.Client) -> None:
    create(operator, 3)
    schema = operator.get("/api/schema/openapi.json").json()
    for path in ("/api/jobs", "/api/admin/jobs"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["limit"]["schema"]["maximum"] == MAX_PAGE
        assert params["limit"]["schema"]["default"] == DEFAULT_PAGE
        assert "cursor" in params
    snapshot = schema["components"]["schemas"]["Snapshot_jobdesk.protocol.models.Job_"]
    assert "nextCursor" in snapshot["properties"]
    assert "nextCursor" in schema["components"]["schemas"]["AdminJobsResponse"]["properties"]


def test_a_cursor_is_checked_and_says_which_list_goes_on(operator: httpx.Client) -> None:
    create(operator, 4)
    by_id = operator.get("/api/jobs", params={"limit": 1}).json()["nextCursor"]
    by_seq = operator.get("/api/jobs", params={"since": 0, "limit": 1}).json()["nextCursor"]
    snapshot_page = operator.get("/api/jobs", params={"cursor": by_id}).json()
    assert snapshot_page == operator.get("/api/jobs", params={"since": 3, "cursor": by_id}).json()
    resync_page = operator.get("/api/jobs", params={"cursor": by_seq}).json()
    assert resync_page == operator.get("/api/jobs", params={"since": 3, "cursor": by_seq}).json()
    assert len(resync_page["jobs"]) == 3
    for path, params in [
        ("/api/jobs", {"cursor": "bogus"}),
        ("/api/jobs", {"cursor": "seq:-1"}),
        ("/api/jobs", {"cursor": "id:"}),
        ("/api/admin/jobs", {"cursor": by_seq}),
    ]:
        response = operator.get(path, params=params)
        assert response.status_code == 400, (path, params, response.text)
        assert response.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize("config_overrides", [{"history_events": 10}])
def test_a_resync_whose_place_left_the_history_answers_410(operator: httpx.Client) -> None:
    create(operator, 12)
    page = operator.get("/api/jobs", params={"since": 2, "limit": 3}).json()
    create(operator, 20)  # the history floor moves past the page's seq
    response = operator.get("/api/jobs", params={"since": 2, "cursor": page["nextCursor"]})
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "RESYNC_REQUIRED"


# --- consistency under concurrent writes -----------------------------------------------


class Writer(threading.Thread):
    """Creates, reports on, finishes and cancels jobs as fast as it can, until stopped."""

    def __init__(self, server: RunningServer, ids: list[str]) -> None:
        super().__init__(name="test writer", daemon=True)
        self._client = httpx.Client(base_url=server.url, headers=server.headers("operator"))
        self._ids = ids
        self._rng = random.Random(7)
        self.writes = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self._one()
                self.writes += 1
        except BaseException as exc:  # reported to the test
            self.error = exc
        finally:
            self._client.close()

    def _one(self) -> None:
        roll = self._rng.random()
        if roll < 0.2:
            self._ids.extend(create(self._client, 1))
            return
        job_id = self._rng.choice(self._ids)
        body: dict[str, object]
        if roll < 0.8:
            path, body = "progress", {"progress": round(self._rng.random(), 3)}
        elif roll < 0.9:
            path, body = "complete", {}
        else:
            path, body = "force-fail", {"reason": "test"}
        answer = self._client.post(f"/api/admin/jobs/{job_id}/{path}", json=body)
        assert answer.status_code in (200, 404, 409), answer.text  # 404: removed by retention

    def until_more(self) -> None:
        """Wait until a few more writes were made."""
        wanted = self.writes + 3
        wait_for(lambda: self.writes >= wanted or self.error is not None, within=20)


RETAINED = 10


@pytest.mark.parametrize(
    "config_overrides", [{"retention_count": RETAINED, "sweep_interval_s": 0.05}]
)
def test_snapshot_pages_then_the_resync_end_with_exactly_the_servers_state(
    server: RunningServer, operator: httpx.Client
) -> None:
    """Between any two pages the jobs change: created, updated, finished, and removed by
    retention (a sweep every 50 ms keeps 10 finished jobs), as a client would meet it."""
    ids = create(operator, 60)
    jobs: dict[str, dict[str, Any]] = {}
    removed = 0

    def resync(since: int, epoch: str) -> int:
        nonlocal removed
        for page in pages(operator, "/api/jobs", since=since, epoch=epoch, limit=5):
            assert page["seq"] >= since
            since = page["seq"]
            jobs.update((job["id"], job) for job in page["jobs"])
            removed += sum(jobs.pop(job_id, None) is not None for job_id in page["removed"])
            if writer.is_alive():
                writer.until_more()
        return since

    writer = Writer(server, list(ids))
    writer.start()
    try:
        read = pages(operator, "/api/jobs", limit=5)
        first = next(read)
        for page in [first, *read]:
            jobs.update((job["id"], job) for job in page["jobs"])
            writer.until_more()  # every page reads a state the one before did not
        seq = resync(first["seq"], first["epoch"])
    finally:
        writer.stop.set()
        writer.join(timeout=20)
    assert writer.error is None, writer.error
    assert writer.writes > 40
    # quiet: the writer is done and retention has nothing left to remove
    wait_for(lambda: operator.get("/api/admin/jobs/health").json()["pastJobs"] <= RETAINED)
    seq = resync(seq, first["epoch"])  # what changed while the last pages were read
    whole = operator.get("/api/jobs", params={"limit": MAX_PAGE}).json()
    assert "nextCursor" not in whole
    assert whole["seq"] == seq
    assert jobs == {job["id"]: job for job in whole["jobs"]}
    assert removed > 0, "retention removed none of the jobs the pages had shown"
