"""Other clients' latency while a hostile WebSocket client floods the server.

A viewer subscribed as the monitor is, and a worker starting a job every 50 ms: the
latency is from the worker's POST to the viewer receiving the job's update. Measured
idle, then while an attacker floods in each way the hardening issue reproduced (60 KB
unknown-type messages, ``{"type":"ping"}`` messages, PING control frames without auth),
none of them reading what the server sends. The attacker reconnects whenever it is cut
off, so the flood lasts the whole window. Reported beside the idle figure of the same
run: p50/p99, the p99 ratio, the server's memory growth and how often the attacker was
cut off. Bounded: ``WINDOW_S`` a scenario, 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from websockets.sync.client import connect

from bench.procs import ServerProc, machine, table
from tests.server.rawws import HostileClient, rss_mb

WINDOW_S = 8.0
PACE_S = 0.05
FLOODS: dict[str, tuple[bool, str | None]] = {
    "60 KB unknown types": (True, '{"type":"' + "z" * 60_000 + '"}'),
    "ping messages": (True, '{"type":"ping"}'),
    "PING frames, no auth": (False, None),
}


def _attack(ws_url: str, token: str, auth: bool, frame: str | None, stop: threading.Event) -> int:
    """Flood until stopped, reconnecting when cut off; returns how often it was cut."""
    cut = 0
    while not stop.is_set():
        try:
            client = HostileClient(ws_url)
        except OSError:
            continue
        try:
            if auth:
                client.send_text(json.dumps({"type": "auth", "token": token}))
            while not stop.is_set():
                if client.flood(frame, count=1_000, seconds=0.5):
                    cut += 1
                    break
        finally:
            client.close()
    return cut


def _measure(url: str, tokens: dict[str, str]) -> list[float]:
    """Latencies (s) of jobs started every PACE_S for WINDOW_S, as the viewer saw them."""
    ws_url = url.replace("http://", "ws://") + "/api/notifications/ws"
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    with connect(ws_url, compression=None) as viewer:
        viewer.send(json.dumps({"type": "auth", "token": tokens["viewer"]}))
        viewer.send(json.dumps({"type": "subscribe_jobs"}))
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                try:
                    message = json.loads(viewer.recv(timeout=1))
                except TimeoutError:
                    continue
                except Exception:
                    return
                name = message.get("job", {}).get("name", "")
                if name.startswith("probe-") and name not in seen:
                    seen[name] = time.monotonic()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        headers = {"Authorization": f"Bearer {tokens['worker']}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            end = time.monotonic() + WINDOW_S
            n = 0
            while time.monotonic() < end:
                name = f"probe-{n}"
                sent[name] = time.monotonic()
                http.post("/api/admin/jobs/start", json={"name": name})
                n += 1
                time.sleep(PACE_S)
        deadline = time.monotonic() + 30
        while len(seen) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        done.set()
        reader.join(timeout=5)
    return [seen[name] - at for name, at in sent.items() if name in seen]


def _scenario(
    server: ServerProc, tokens: dict[str, str], attacker: Callable[[threading.Event], int] | None
) -> tuple[list[float], float, int]:
    assert server.process is not None
    before = rss_mb(server.process.pid)
    stop = threading.Event()
    cuts: list[int] = []
    thread = None
    if attacker is not None:
        thread = threading.Thread(target=lambda: cuts.append(attacker(stop)), daemon=True)
        thread.start()
        time.sleep(1.0)  # the flood is under way
    latencies = _measure(server.url, tokens)
    grown = rss_mb(server.process.pid) - before
    stop.set()
    if thread is not None:
        thread.join(timeout=30)
    return latencies, grown, cuts[0] if cuts else 0


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def _row(name: str, got: list[float], idle: list[float], grown: float, cuts: str) -> list[str]:
    ratio = _ms(got, 99) / max(_ms(idle, 99), 1e-9)
    return [name, f"{_ms(got, 50):.1f}", f"{_ms(got, 99):.1f}", f"{ratio:.2f}",
            f"{grown:+.0f}", cuts]  # fmt: skip


def main() -> int:
    from jobdesk.server.tokens import create_token

    print(f"{machine()}; a job started every {PACE_S * 1000:.0f} ms for {WINDOW_S:g} s")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "floods.db"
        tokens = {
            role: create_token(db_path, role, f"bench-{role}") for role in ("viewer", "worker")
        }
        with ServerProc(db_path) as server:
            ws_url = server.url.replace("http://", "ws://") + "/api/notifications/ws"
            idle, idle_rss, _ = _scenario(server, tokens, None)
            rows = [_row("idle", idle, idle, idle_rss, "-")]
            for name, (auth, frame) in FLOODS.items():
                attacker = functools.partial(_attack, ws_url, tokens["viewer"], auth, frame)
                got, grown, cuts = _scenario(server, tokens, attacker)
                rows.append(_row(name, got, idle, grown, str(cuts)))
    print(table(["flood", "p50 ms", "p99 ms", "p99/idle", "RSS MB", "cut off"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
