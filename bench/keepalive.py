"""Requests lost to the keep-alive race: 32 concurrent HTTP clients against a server whose
idle-connection timeout equals the clients' pool expiry (uvicorn's old 5 s, httpx's
5 s), beside the same load against the server's default (75 s).

Reported: 9 of ~400,000 POSTs from 32 concurrent connections ended with the connection
closed and no answer, and the server logged nothing. The cause: a pooled connection
idle for just under 5 s is still good to the client (httpx drops it at 5 s), while
uvicorn closes it at 5 s; a request sent in between is read by no one. A busy
connection never idles, so a steady flood shows nothing: clients that pause between
requests do, as workers and pollers do. Here each of the 32 clients (its own
``httpx.AsyncClient``, httpx's default limits, no retry) sends progress reports in
bursts and pauses between bursts for a time drawn near 5 s; a pause is where the race
is. Bounded: ``REQUESTS`` per phase at most, ``PHASE_S`` at most, 127.0.0.1 only.

Phases per server: ``steady`` (no pauses: the flood) and ``pauses`` (bursts of
``BURST`` requests, then a pause uniform in ``PAUSE_S``). Lost = no HTTP answer
(``httpx.TransportError``: RemoteProtocolError, ReadError, ConnectError...).
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.procs import ServerProc, machine

CLIENTS = 32
REQUESTS = 40_000
PHASE_S = 60.0
BURST = 20
PAUSE_S = (4.9, 5.0)
"""Just under httpx's 5 s expiry: the connection is reused, and the old server's timer
is due as the request arrives."""
SERVERS: dict[str, dict[str, float]] = {
    "old (keep-alive 5 s)": {"keep_alive_s": 5},
    "new (default)": {},
}


@dataclass
class Tally:
    answered: int = 0
    lost: Counter[str] = field(default_factory=Counter)
    pauses: int = 0

    @property
    def sent(self) -> int:
        return self.answered + sum(self.lost.values())


async def _client(url: str, token: str, job_id: str, pause: bool, tally: Tally, end: float) -> None:
    rng = random.Random()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        n = 0
        while time.monotonic() < end and tally.sent < REQUESTS:
            try:
                await http.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": n % 100})
                tally.answered += 1
            except httpx.TransportError as exc:
                tally.lost[type(exc).__name__] += 1
            n += 1
            if pause and n % BURST == 0:
                tally.pauses += 1
                await asyncio.sleep(rng.uniform(*PAUSE_S))


async def _phase(url: str, token: str, jobs: list[str], pause: bool) -> Tally:
    tally = Tally()
    end = time.monotonic() + PHASE_S
    await asyncio.gather(*(_client(url, token, job, pause, tally, end) for job in jobs))
    return tally


def _start_jobs(url: str, token: str) -> list[str]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        return [http.post("/api/admin/jobs/start", json={}).json()["jobId"] for _ in range(CLIENTS)]


def run(folder: Path, name: str, config: dict[str, float]) -> dict[str, Tally]:
    from jobdesk.server.tokens import create_token

    db_path = folder / f"{len(name)}-{abs(hash(name))}.db"
    token = create_token(db_path, "worker", "bench")
    with ServerProc(db_path, config=config) as server:
        jobs = _start_jobs(server.url, token)
        return {
            phase: asyncio.run(_phase(server.url, token, jobs, pause))
            for phase, pause in (("steady", False), ("pauses", True))
        }


def main() -> int:
    print(
        f"{machine()}; {CLIENTS} clients, at most {REQUESTS:,} requests or {PHASE_S:.0f} s a phase"
    )
    print(f"{'server':22} {'phase':8} {'sent':>8} {'pauses':>7} {'lost':>5}  how")
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in SERVERS.items():
            for phase, tally in run(Path(tmp), name, config).items():
                how = ", ".join(f"{k} {v}" for k, v in tally.lost.items()) or "-"
                print(
                    f"{name:22} {phase:8} {tally.sent:8,} {tally.pauses:7,} "
                    f"{sum(tally.lost.values()):5}  {how}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
