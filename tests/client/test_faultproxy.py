"""The fault proxy against a real server, with real httpx and websockets clients.

Client tests lean on the proxy to mean what it says: if a black hole leaked bytes or a
reset were a polite close, a reconnect test would pass for the wrong reason. So each
fault is checked here from the client's side of the socket.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosedError, InvalidMessage, InvalidStatus

from jobdesk.protocol import (
    Auth,
    Connected,
    Ping,
    Pong,
    decode_server_message,
    encode_message,
)
from tests.client.faultproxy import FaultProxy, Faults, is_websocket_upgrade
from tests.conftest import RunningServer
from tests.polling import wait_for
from tests.server.wsclient import WsClient

OPENAPI = "/api/schema/openapi.json"
"""A large answer (tens of kB) that needs no token."""
LATENCY_S = 0.2
SHORT_TIMEOUT_S = 0.4


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy((server.embedded.host, server.embedded.port)) as running:
        yield running


def rest(proxy: FaultProxy, server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, headers=server.headers("viewer"), timeout=5.0)


def logged_in(proxy: FaultProxy, server: RunningServer) -> WsClient:
    client = WsClient(proxy.ws_url)
    assert isinstance(client.login(server.tokens["viewer"]), Connected)
    return client


def assert_reset(raw: socket.socket) -> None:
    """An RST, not a FIN: a FIN would make recv() return b"" instead of raising."""
    raw.settimeout(5)
    with pytest.raises(ConnectionResetError):
        raw.recv(1)


def read_until_reset(raw: socket.socket) -> bytes:
    """What arrived before the RST; a clean close fails the test."""
    received = bytearray()
    try:
        while chunk := raw.recv(65536):
            received += chunk
    except ConnectionResetError:
        return bytes(received)
    raise AssertionError(f"closed with a FIN after {len(received)} bytes, not reset")


# --- plain forwarding and the counters --------------------------------------------------


def test_rest_goes_through_on_one_keep_alive_connection(
    server: RunningServer, proxy: FaultProxy
) -> None:
    with httpx.Client(base_url=proxy.url, headers=server.headers("operator")) as client:
        created = client.post("/api/jobs", json={"name": "through-the-proxy"})
        assert created.status_code == 201
        job_id = created.json()["jobId"]
        via_proxy = client.get(f"/api/jobs/{job_id}")
    direct = httpx.get(f"{server.url}/api/jobs/{job_id}", headers=server.headers("viewer"))
    assert via_proxy.status_code == 200
    assert via_proxy.json() == direct.json()
    assert proxy.connections == 1
    assert proxy.websocket_handshakes == 0
    wait_for(lambda: proxy.open_connections == 0)  # the client's close went through


def test_websocket_session_goes_through(server: RunningServer, proxy: FaultProxy) -> None:
    with logged_in(proxy, server) as ws:
        ws.send(Ping())
        assert isinstance(ws.recv_until(Pong), Pong)
    assert proxy.connections == 1
    assert proxy.websocket_handshakes == 1


def test_counters_tell_websockets_from_rest(server: RunningServer, proxy: FaultProxy) -> None:
    with rest(proxy, server) as client:
        assert client.get("/api/jobs").status_code == 200
        assert client.get("/api/jobs").status_code == 200
    with rest(proxy, server) as client:
        # the WebSocket's path without an Upgrade header is a plain request
        client.get("/api/notifications/ws")
    with logged_in(proxy, server), logged_in(proxy, server):
        pass
    assert proxy.connections == 4
    assert proxy.websocket_handshakes == 2


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"GET /api/notifications/ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", True),
        (b"GET /api/notifications/ws?x=1 HTTP/1.1\r\nupgrade: WebSocket\r\n\r\n", True),
        (b"GET /api/notifications/ws HTTP/1.1\r\nHost: h\r\n\r\n", False),
        (b"GET /api/jobs HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", False),
        (b"POST /api/notifications/ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", False),
        (b"GET /api/notifications/wsx HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", False),
        (b"", False),
    ],
)
def test_websocket_upgrade_is_recognised_by_path_and_header(head: bytes, expected: bool) -> None:
    assert is_websocket_upgrade(head) is expected


async def test_proxy_serves_while_the_test_loop_is_blocked(
    server: RunningServer, proxy: FaultProxy
) -> None:
    # A blocking call inside a coroutine stalls this loop; a proxy on it would deadlock.
    with rest(proxy, server) as client:
        assert client.get(OPENAPI).status_code == 200


# --- latency ----------------------------------------------------------------------------


def test_latency_delays_both_directions_on_an_open_connection(
    server: RunningServer, proxy: FaultProxy
) -> None:
    with rest(proxy, server) as client:
        assert client.get("/api/jobs").status_code == 200
        proxy.latency(LATENCY_S)
        started = time.monotonic()
        slow = client.get("/api/jobs")
        elapsed = time.monotonic() - started
        proxy.latency(0)
        assert client.get("/api/jobs").status_code == 200
    assert slow.status_code == 200
    assert elapsed >= 2 * LATENCY_S  # the request, then the answer
    assert proxy.connections == 1  # the same connection, changed while open


async def test_latency_delays_websocket_frames_for_an_async_client(
    server: RunningServer, proxy: FaultProxy
) -> None:
    async with aconnect(proxy.ws_url, compression=None) as ws:
        await ws.send(encode_message(Auth(token=server.tokens["viewer"])).decode())
        assert isinstance(decode_server_message(await ws.recv()), Connected)
        proxy.latency(LATENCY_S)
        started = time.monotonic()
        await ws.send(encode_message(Ping()).decode())
        while not isinstance(decode_server_message(await ws.recv()), Pong):
            pass
        elapsed = time.monotonic() - started
        proxy.latency(0)  # so the close handshake is quick
    assert elapsed >= 2 * LATENCY_S


def test_latency_refuses_a_negative_delay(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="negative"):
        proxy.latency(-1)


# --- reset_all --------------------------------------------------------------------------


def test_reset_all_resets_every_open_connection(server: RunningServer, proxy: FaultProxy) -> None:
    with (
        logged_in(proxy, server) as ws,
        socket.create_connection(("127.0.0.1", proxy.port)) as raw,
    ):
        wait_for(lambda: proxy.open_connections == 2)
        proxy.reset_all()
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=5)
        assert_reset(raw)
    with rest(proxy, server) as client:  # a one-off: new connections go through
        assert client.get("/api/jobs").status_code == 200


# --- black hole -------------------------------------------------------------------------


def test_black_hole_silences_new_and_open_connections_until_healed(
    server: RunningServer, proxy: FaultProxy
) -> None:
    with rest(proxy, server) as client:
        assert client.get("/api/jobs").status_code == 200
        proxy.black_hole(True)
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/jobs", timeout=SHORT_TIMEOUT_S)
        with rest(proxy, server) as fresh, pytest.raises(httpx.ReadTimeout):
            fresh.get("/api/jobs", timeout=SHORT_TIMEOUT_S)
        proxy.heal()
        assert client.get("/api/jobs").status_code == 200


def test_black_hole_holds_bytes_and_delivers_them_when_healed(
    server: RunningServer, proxy: FaultProxy
) -> None:
    with logged_in(proxy, server) as ws:
        proxy.black_hole(True)
        ws.send(Ping())
        with pytest.raises(TimeoutError):
            ws.recv(timeout=SHORT_TIMEOUT_S)
        proxy.black_hole(False)
        assert isinstance(ws.recv_until(Pong), Pong)  # the held ping, then its pong


# --- cut_after --------------------------------------------------------------------------


def test_cut_after_breaks_a_large_response(server: RunningServer, proxy: FaultProxy) -> None:
    with rest(proxy, server) as client:
        full = client.get(OPENAPI).content
    assert len(full) > 10_000
    proxy.cut_after(1000)
    with rest(proxy, server) as client, pytest.raises(httpx.NetworkError):
        client.get(OPENAPI)
    proxy.cut_after(None)
    with rest(proxy, server) as client:
        assert client.get(OPENAPI).content == full


def test_cut_after_passes_exactly_n_bytes_then_resets(proxy: FaultProxy) -> None:
    proxy.cut_after(1000)
    with socket.create_connection(("127.0.0.1", proxy.port)) as raw:
        raw.settimeout(5)
        raw.sendall(f"GET {OPENAPI} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = read_until_reset(raw)
    assert len(received) <= 1000  # bytes in flight may be lost with the RST, never more
    assert received.startswith(b"HTTP/1.1 200")


def test_cut_after_applies_to_an_open_websocket(server: RunningServer, proxy: FaultProxy) -> None:
    with logged_in(proxy, server) as ws:
        proxy.cut_after(0)  # the ping goes up, the first byte back cuts
        ws.send(Ping())
        with pytest.raises(ConnectionClosedError):
            ws.recv_until(Pong)


# --- block_websocket --------------------------------------------------------------------


def test_block_websocket_refuses_websockets_while_rest_flows(
    server: RunningServer, proxy: FaultProxy
) -> None:
    with rest(proxy, server) as client, logged_in(proxy, server) as open_ws:
        assert client.get("/api/jobs").status_code == 200
        proxy.block_websocket(True)
        with pytest.raises(ConnectionClosedError):
            open_ws.recv(timeout=5)
        with pytest.raises(InvalidStatus) as refused:
            WsClient(proxy.ws_url)
        assert refused.value.response.status_code == 503
        assert client.get("/api/jobs").status_code == 200  # the open REST connection
        with rest(proxy, server) as fresh:
            assert fresh.get("/api/jobs").status_code == 200  # and a new one
        proxy.block_websocket(False)
        with logged_in(proxy, server) as again:
            again.send(Ping())
            assert isinstance(again.recv_until(Pong), Pong)
    assert proxy.websocket_handshakes == 3  # the blocked one counts too
    assert proxy.connections == 5


# --- refuse -----------------------------------------------------------------------------


def test_refuse_resets_new_connections_and_spares_open_ones(
    server: RunningServer, proxy: FaultProxy
) -> None:
    with rest(proxy, server) as open_client:
        assert open_client.get("/api/jobs").status_code == 200
        proxy.refuse(True)
        with rest(proxy, server) as client, pytest.raises(httpx.NetworkError):
            client.get("/api/jobs")
        with pytest.raises((InvalidMessage, ConnectionClosedError, OSError)):
            WsClient(proxy.ws_url)
        with socket.create_connection(("127.0.0.1", proxy.port)) as raw:
            assert_reset(raw)  # accepted, then reset
        assert open_client.get("/api/jobs").status_code == 200
        proxy.refuse(False)
        with rest(proxy, server) as client:
            assert client.get("/api/jobs").status_code == 200
    assert proxy.connections == 5  # refused attempts are counted
    assert proxy.websocket_handshakes == 0  # refused before the request is read


# --- upstream, heal, threads, stop ------------------------------------------------------


def test_upstream_can_move_while_running(server: RunningServer, proxy: FaultProxy) -> None:
    with socket.socket() as down:  # bound but not listening: connections are refused
        down.bind(("127.0.0.1", 0))
        original = proxy.upstream
        proxy.upstream = down.getsockname()
        with rest(proxy, server) as client, pytest.raises(httpx.NetworkError):
            client.get("/api/jobs")
        proxy.upstream = original
        with rest(proxy, server) as client:
            assert client.get("/api/jobs").status_code == 200


def test_upstream_must_be_loopback(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="loopback"):
        proxy.upstream = ("192.0.2.1", 80)


def test_heal_turns_every_fault_off(server: RunningServer, proxy: FaultProxy) -> None:
    proxy.latency(0.05)
    proxy.black_hole(True)
    proxy.cut_after(10)
    proxy.block_websocket(True)
    proxy.refuse(True)
    assert proxy.faults == Faults(
        latency=0.05, black_hole=True, cut_after=10, block_websocket=True, refuse=True
    )
    proxy.heal()
    assert proxy.faults == Faults()
    with rest(proxy, server) as client:
        assert client.get(OPENAPI).status_code == 200
    with logged_in(proxy, server) as ws:
        ws.send(Ping())
        assert isinstance(ws.recv_until(Pong), Pong)


def test_switches_work_from_other_threads_during_traffic(
    server: RunningServer, proxy: FaultProxy
) -> None:
    def flip(times: int) -> None:
        for i in range(times):
            proxy.black_hole(i % 2 == 0)
            proxy.latency(0.001 * (i % 2))
        proxy.black_hole(False)
        proxy.latency(0)

    flippers = [threading.Thread(target=flip, args=(200,)) for _ in range(2)]
    with rest(proxy, server) as client:
        for flipper in flippers:
            flipper.start()
        answers = [client.get("/api/jobs").status_code for _ in range(20)]
        for flipper in flippers:
            flipper.join(10)
        assert not any(flipper.is_alive() for flipper in flippers)
        assert proxy.faults == Faults()
        assert client.get("/api/jobs").status_code == 200
    assert answers == [200] * 20


def test_stop_closes_every_socket_and_joins_its_thread(server: RunningServer) -> None:
    proxy = FaultProxy((server.embedded.host, server.embedded.port))
    proxy.start()
    port = proxy.port
    with (
        logged_in(proxy, server) as ws,
        socket.create_connection(("127.0.0.1", port)) as raw,
    ):
        wait_for(lambda: proxy.open_connections == 2)
        proxy.black_hole(True)  # held traffic must not hold up the stop
        ws.send(Ping())
        proxy.stop()  # raises if its thread is still held after STOP_TIMEOUT_S
        assert f"faultproxy-{port}" not in [t.name for t in threading.enumerate()]
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=5)
        assert_reset(raw)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
