"""Reads take turns and wait for the writes in flight, but a write that never ends never
stops them, and a read that fails gives its turn up."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from tests.conftest import RunningServer


def _half_sent_write(server: RunningServer) -> socket.socket:
    """A progress write whose body is still on its way: in flight until it is closed."""
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (
        "POST /api/admin/jobs/nothing/progress HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nAuthorization: Bearer {server.tokens['worker']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"progress": ')
    return sock


def test_reads_go_on_while_a_write_is_held_open(
    server: RunningServer, operator: httpx.Client
) -> None:
    operator.post("/api/jobs", json={})
    held = [_half_sent_write(server) for _ in range(3)]
    try:
        for _ in range(20):
            assert len(operator.get("/api/jobs").json()["jobs"]) == 1
            assert operator.get("/api/admin/jobs").status_code == 200
        assert operator.post("/api/jobs", json={}).status_code == 201  # writes pass too
    finally:
        for sock in held:
            sock.close()
    assert len(operator.get("/api/jobs").json()["jobs"]) == 2


def test_a_read_that_fails_gives_its_turn_up(operator: httpx.Client) -> None:
    for path in ("/api/jobs?limit=0", "/api/nothing", "/api/jobs/nothing/detail"):
        assert operator.get(path, timeout=5).status_code in (400, 404)
    assert operator.get("/api/jobs", timeout=5).status_code == 200
    assert httpx.get(operator.base_url.join("/api/jobs"), timeout=5).status_code == 401
    assert operator.get("/api/admin/jobs", timeout=5).status_code == 200
