"""The history: jobs retention moved out of the live set stay readable, filtered and paged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.polling import wait_for

pytestmark = pytest.mark.stores("sqlite", "postgres")


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"sweep_interval_s": 0.05, "retention_count": 2}


def _finish(worker: httpx.Client, name: str, owner_type: str = "render") -> str:
    job_id: str = worker.post("/api/jobs", json={"name": name, "jobType": owner_type}).json()[
        "jobId"
    ]
    claimed = worker.post("/api/queue/claim", json={"jobTypes": [owner_type]}).json()
    assert claimed["job"]["id"] == job_id
    worker.post(f"/api/admin/jobs/{job_id}/complete", json={"result": {"frames": 1}})
    return job_id


def test_finished_jobs_leave_the_live_set_and_stay_in_the_history(
    worker: httpx.Client, operator: httpx.Client
) -> None:
    done = [_finish(worker, f"frame {n}") for n in range(5)]

    def live() -> set[str]:
        return {j["id"] for j in operator.get("/api/jobs").json()["jobs"]}

    wait_for(lambda: live() == set(done[-2:]))
    page = operator.get("/api/history").json()
    assert [j["id"] for j in page["jobs"]] == done[::-1]  # newest created first
    assert page.get("nextCursor") is None
    old = operator.get(f"/api/jobs/{done[0]}/detail")
    assert old.status_code == 200
    assert old.json()["status"] == "completed"
    assert old.json()["result"] == {"frames": 1}


def test_history_pages_and_filters(worker: httpx.Client, operator: httpx.Client) -> None:
    ids = [_finish(worker, f"shot {n}") for n in range(3)]
    ids.append(_finish(worker, "Comp Final", "comp"))
    first = operator.get("/api/history", params={"limit": 2}).json()
    assert [j["id"] for j in first["jobs"]] == [ids[3], ids[2]]
    second = operator.get("/api/history", params={"limit": 2, "cursor": first["nextCursor"]}).json()
    assert [j["id"] for j in second["jobs"]] == [ids[1], ids[0]]
    assert second.get("nextCursor") is None
    by_type = operator.get("/api/history", params={"jobType": "comp"}).json()["jobs"]
    assert [j["id"] for j in by_type] == [ids[3]]
    by_text = operator.get("/api/history", params={"q": "comp final"}).json()["jobs"]
    assert [j["id"] for j in by_text] == [ids[3]]
    wildcard = operator.get("/api/history", params={"q": "%"}).json()["jobs"]
    assert wildcard == []  # no job has a percent sign: LIKE's wildcards are escaped
    by_status = operator.get("/api/history", params={"status": "failed"}).json()["jobs"]
    assert by_status == []
    created = first["jobs"][0]["createdAt"]
    since = operator.get("/api/history", params={"from": created}).json()["jobs"]
    assert ids[3] in [j["id"] for j in since]


def test_history_refuses_bad_bounds(operator: httpx.Client) -> None:
    answer = operator.get("/api/history", params={"from": "yesterday"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "INVALID_INPUT"
    assert answer.json()["error"]["field"] == "from"
    assert operator.get("/api/history", params={"cursor": "nonsense"}).status_code == 400
