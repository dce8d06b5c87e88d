"""Hostile JSON on every endpoint that takes a body: a 400 naming the problem, no
traceback in the log, nothing stored; and bodies are decoded strictly (a number given as
a string is refused, as the schema says), before the token is looked at."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from jobdesk.server.api.strict_body import MAX_JSON_DEPTH, nesting_depth
from tests.conftest import RunningServer

JSON = {"Content-Type": "application/json"}

# Each endpoint with a body, and a string field of its body (for a string that is not UTF-8)
BODY_ENDPOINTS = [
    ("/api/jobs", "name"),
    ("/api/jobs/{id}/cancel", "reason"),
    ("/api/queue/claim", "worker"),
    ("/api/admin/jobs/start", "name"),
    ("/api/admin/jobs/batch", None),
    ("/api/admin/jobs/{id}/progress", "message"),
    ("/api/admin/jobs/{id}/message", "text"),
    ("/api/admin/jobs/{id}/complete", "message"),
    ("/api/admin/jobs/{id}/fail", "error"),
    ("/api/admin/jobs/{id}/force-fail", "reason"),
]


def _not_utf8(field: str | None) -> bytes:
    if field is None:  # the batch: a report's job id
        return b'{"updates": [{"jobId": "job_\xff\xfe"}]}'
    return b'{"' + field.encode() + b'": "caf\xe9 \xff"}'


def _state(server: RunningServer) -> object:
    return httpx.get(f"{server.url}/api/jobs", headers=server.headers()).json()


@pytest.fixture
def job_id(worker: httpx.Client) -> str:
    job: str = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    return job


HOSTILE = {
    "deep nesting": (b"[" * 5000 + b"]" * 5000, f"at most {MAX_JSON_DEPTH}"),
    "deep nesting, unclosed": (b"[" * 5000, f"at most {MAX_JSON_DEPTH}"),
    "deep nesting in a field": (b'{"x": ' + b'{"x": ' * 100 + b"1" + b"}" * 101, "nested 101"),
}


@pytest.mark.parametrize("kind", ["not UTF-8", *HOSTILE])
@pytest.mark.parametrize(("path", "field"), BODY_ENDPOINTS, ids=[p for p, _ in BODY_ENDPOINTS])
def test_hostile_bodies_get_a_400_naming_the_problem(
    server: RunningServer,
    job_id: str,
    caplog: pytest.LogCaptureFixture,
    path: str,
    field: str | None,
    kind: str,
) -> None:
    body, expected = (_not_utf8(field), "not valid UTF-8") if kind == "not UTF-8" else HOSTILE[kind]
    before = _state(server)
    for headers in (JSON, {**JSON, **server.headers("operator")}):  # before the token is read
        with caplog.at_level(logging.INFO):
            response = httpx.post(
                server.url + path.format(id=job_id), content=body, headers=headers, timeout=10
            )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "body")
        assert expected in error["message"]
        assert len(error["message"]) < 200
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []
    assert _state(server) == before


HUGE = "1" + "0" * 5000
"""Beyond the 4,300 digits an integer may have, and beyond any float."""


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/jobs", f'{{"payload": {{"n": {HUGE}}}}}', "payload[...]"),
        ("/api/jobs", '{"timeout": 1e999}', "timeout"),
        ("/api/queue/claim", f'{{"jobTypes": ["generic"], "waitSeconds": {HUGE}}}', "waitSeconds"),
        ("/api/admin/jobs/start", f'{{"metadata": {{"n": -{HUGE}}}}}', "metadata[...]"),
        (
            "/api/admin/jobs/batch",
            '{"updates": [{"jobId": "{id}", "progress": 1e999}]}',
            "updates[0].progress",
        ),
        ("/api/admin/jobs/{id}/progress", f'{{"progress": {HUGE}.5}}', "progress"),
        ("/api/admin/jobs/{id}/complete", f'{{"result": [{HUGE}]}}', "result[0]"),
    ],
)
def test_huge_numbers_are_refused_by_field(
    server: RunningServer, job_id: str, path: str, body: str, field: str
) -> None:
    before = _state(server)
    response = httpx.post(
        server.url + path.format(id=job_id),
        content=body.replace("{id}", job_id),
        headers={**JSON, **server.headers("operator")},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert "out of range" in error["message"]
    assert _state(server) == before


def _nested(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = [value]
    return value


def test_a_payload_may_nest_up_to_the_limit_and_no_deeper(worker: httpx.Client) -> None:
    # the body is level 1, so its payload may have MAX_JSON_DEPTH - 1 levels
    deepest = worker.post("/api/jobs", json={"payload": _nested(MAX_JSON_DEPTH - 1)})
    assert deepest.status_code == 201, deepest.text
    stored = worker.get(f"/api/jobs/{deepest.json()['jobId']}/detail").json()["payload"]
    assert stored == _nested(MAX_JSON_DEPTH - 1)
    too_deep = worker.post("/api/jobs", json={"payload": _nested(MAX_JSON_DEPTH)})
    assert too_deep.status_code == 400
    assert too_deep.json()["error"]["field"] == "body"
    assert f"nested {MAX_JSON_DEPTH + 1} levels" in too_deep.json()["error"]["message"]
    assert len(worker.get("/api/jobs").json()["jobs"]) == 1


def test_brackets_inside_strings_do_not_count_as_nesting(worker: httpx.Client) -> None:
    text = '[{"\\"[[[' * 200 + "\\\\"
    response = worker.post("/api/jobs", json={"name": "brackets", "metadata": {"t": text}})
    assert response.status_code == 201, response.text
    job = worker.get(f"/api/jobs/{response.json()['jobId']}/detail").json()
    assert job["metadata"] == {"t": text}


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[{{{", "b": "]]]"}', 1),
        (b'["\\\\", ["\\"]]"]]', 2),
        (b'["\\\\\\"[", "\\u005b"]', 1),
        (b'"no brackets"', 0),
    ],
)
def test_nesting_depth_counts_structure_only(body: bytes, depth: int) -> None:
    assert nesting_depth(body) == depth
    json.loads(body)  # each case is valid JSON


def test_a_duplicate_key_takes_its_last_value(worker: httpx.Client, job_id: str) -> None:
    response = worker.post(
        f"/api/admin/jobs/{job_id}/progress",
        content=b'{"progress": 0.9, "progress": 0.25}',
        headers=JSON,
    )
    assert response.status_code == 200, response.text
    assert worker.get(f"/api/admin/jobs/{job_id}/progress").json()["progress"] == 0.25


def test_a_big_integer_in_a_payload_is_kept_exactly(worker: httpx.Client) -> None:
    big = 10**40 + 7
    response = worker.post("/api/jobs", content=f'{{"payload": {big}}}', headers=JSON)
    assert response.status_code == 201, response.text
    detail = worker.get(f"/api/jobs/{response.json()['jobId']}/detail")
    assert json.loads(detail.content)["payload"] == big


# --- strict decoding: the schema's types, no coercion ----------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/admin/jobs/{id}/progress", {"progress": "0.5"}, "progress"),
        (
            "/api/admin/jobs/{id}/progress",
            {"pipeline": [{"name": "a", "weight": "2"}]},
            "pipeline[0].weight",
        ),
        (
            "/api/admin/jobs/batch",
            {"updates": [{"jobId": "{id}", "progress": "0.5"}]},
            "updates[0].progress",
        ),
        (
            "/api/admin/jobs/batch",
            {"updates": [{"jobId": "{id}", "attempt": "1"}]},
            "updates[0].attempt",
        ),
        ("/api/jobs", {"maxAttempts": "3"}, "maxAttempts"),
        ("/api/jobs", {"timeout": "60"}, "timeout"),
        ("/api/jobs", {"name": 5}, "name"),
        ("/api/queue/claim", {"jobTypes": ["generic"], "waitSeconds": "1"}, "waitSeconds"),
        ("/api/admin/jobs/{id}/message", {"level": "info", "text": 12}, "text"),
    ],
)
def test_a_string_for_a_number_is_refused(
    server: RunningServer, job_id: str, path: str, body: dict[str, object], field: str
) -> None:
    before = _state(server)
    content = json.dumps(body).replace("{id}", job_id)
    for headers in ({**JSON, **server.headers("operator")}, JSON):  # with a token and without
        response = httpx.post(server.url + path.format(id=job_id), content=content, headers=headers)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
        assert "Expected" in error["message"]
    assert _state(server) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "null"}, "since"),
        ({"since": "1e0"}, "since"),
        ({"since": "1.0"}, "since"),
        ({"since": " 1"}, "since"),
    ],
)
def test_a_whole_number_in_the_query_must_be_written_as_one(
    operator: httpx.Client, query: dict[str, str], field: str
) -> None:
    operator.post("/api/jobs", json={})
    response = operator.get("/api/jobs", params=query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert "whole number" in response.json()["error"]["message"]


def test_an_integer_may_be_written_as_a_float_without_a_fraction(worker: httpx.Client) -> None:
    """JSON Schema counts 3.0 and 3e0 as integers; 3.5 is not one, nor "3"."""
    for written in ("3.0", "3e0"):
        response = worker.post(
            "/api/jobs", content=f'{{"maxAttempts": {written}, "timeout": "x"}}', headers=JSON
        )
        assert response.json()["error"]["field"] == "timeout"  # the string is still refused
        response = worker.post("/api/jobs", content=f'{{"maxAttempts": {written}}}', headers=JSON)
        assert response.status_code == 201, response.text
        detail = worker.get(f"/api/jobs/{response.json()['jobId']}/detail").json()
        assert detail["maxAttempts"] == 3
    refused = worker.post("/api/jobs", content=b'{"maxAttempts": 3.5}', headers=JSON)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "maxAttempts"
