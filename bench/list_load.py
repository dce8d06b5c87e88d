"""Readers against writers: progress-write latency while viewers loop over the lists.

A real server process (``jobdesk.server.app.run_server``) holding 10,000 realistic jobs
(``bench.procs``) and 50 jobs of the bench's worker. This process writes progress to
those 50 in turn, one request at a time (``POST /api/admin/jobs/{id}/progress``, each
answered once committed), paced at ``WRITES_PER_S``, and times each request. A child
process runs four viewers (asyncio, one connection each) that loop over every list
endpoint as fast as the server answers, reading each page whole (its envelope decoded,
the jobs left as bytes, as a client that pages must at least): the canonical snapshot
page by page at the largest page size, then its resync ``since`` the first page's seq;
seed 001's plain ``GET /api/admin/jobs``; and ``?includePast=true`` page by page.

Phases alternate, idle (no viewer) and loaded (four viewers), ``ROUNDS`` times; each
writes ``WRITES`` times. The figure is the loaded p99 over the idle p99 of the same run,
all rounds' writes taken together (the target: at most 2); each round's is shown too.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
import msgspec

from bench import procs
from jobdesk.protocol.rest import MAX_PAGE

JOBS = 10_000
WRITER_JOBS = 50
WRITES = 1500
WRITES_PER_S = 200.0
VIEWERS = 4
ROUNDS = 3
WARMUP_S = 2.0
TARGET_RATIO = 2.0
_CHILD = "import sys; from bench.list_load import viewers; viewers(sys.argv[1:])"


class _Page(msgspec.Struct, rename="camel", kw_only=True):
    seq: int = -1  # the admin list has none
    jobs: list[msgspec.Raw]
    next_cursor: str | None = None


_decode_page = msgspec.json.Decoder(_Page).decode


async def _pages(http: httpx.AsyncClient, path: str, **query: Any) -> tuple[int, int, int]:
    """Every page of one list: (pages, bytes, the first page's seq)."""
    pages, size, first = 0, 0, -1
    params: dict[str, Any] = dict(query)
    while True:
        response = await http.get(path, params=params)
        response.raise_for_status()
        page = _decode_page(response.content)
        pages, size = pages + 1, size + len(response.content)
        first = page.seq if first < 0 else first
        if page.next_cursor is None:
            return pages, size, first
        params["cursor"] = page.next_cursor


async def _view(url: str, token: str, until: float, totals: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        while time.monotonic() < until:
            epoch = (await http.get("/api/jobs", params={"limit": 1})).json()["epoch"]
            reads = [
                await _pages(http, "/api/jobs", limit=MAX_PAGE),
                await _pages(http, "/api/admin/jobs"),
                await _pages(http, "/api/admin/jobs", includePast="true", limit=MAX_PAGE),
            ]
            first = reads[0][2]
            reads.append(await _pages(http, "/api/jobs", since=first, epoch=epoch, limit=MAX_PAGE))
            totals["pages"] += sum(r[0] for r in reads)
            totals["bytes"] += sum(r[1] for r in reads)
            totals["loops"] += 1


def viewers(argv: list[str]) -> None:
    """In the child: ``URL TOKEN SECONDS``; says ``ready``, then a JSON line at the end."""
    url, token, seconds = argv[0], argv[1], float(argv[2])
    totals = {"pages": 0, "bytes": 0, "loops": 0}

    async def run() -> None:
        until = time.monotonic() + seconds
        print("ready", flush=True)
        await asyncio.gather(*(_view(url, token, until, totals) for _ in range(VIEWERS)))

    asyncio.run(run())
    procs.report({**totals, "seconds": seconds})


def _write(http: httpx.Client, ids: list[str]) -> list[float]:
    """``WRITES`` progress reports, paced; the milliseconds each took."""
    took: list[float] = []
    interval = 1 / WRITES_PER_S
    next_at = time.perf_counter()
    for n in range(WRITES):
        now = time.perf_counter()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        body = {"progress": (n % 100) / 100}
        start = time.perf_counter()
        response = http.post(f"/api/admin/jobs/{ids[n % len(ids)]}/progress", json=body)
        took.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return took


def _loaded(
    server: procs.ServerProc, token: str, http: httpx.Client, ids: list[str]
) -> tuple[list[float], dict[str, Any]]:
    """The writes with the viewers looping; and what the viewers read meanwhile."""
    seconds = WARMUP_S + WRITES / WRITES_PER_S + 1.0
    child = procs.spawn(
        [sys.executable, "-c", _CHILD, server.url, token, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        raise RuntimeError("the viewers did not start")
    time.sleep(WARMUP_S)  # every viewer is into its loop
    took = _write(http, ids)
    out, _ = child.communicate(timeout=120)
    procs.reap(child)
    read: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return took, read


def _figures(took: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(took, n=100)
    return cuts[49], cuts[98]


def _row(label: str, took: list[float], idle: list[float] | None, read: str) -> list[str]:
    p50, p99 = _figures(took)
    ratio = "" if idle is None else f"{p99 / _figures(idle)[1]:.2f}"
    return [label, f"{p50:.2f}", f"{p99:.2f}", ratio, read]


def main() -> int:
    print(procs.machine())
    with procs.scratch("jobdesk-bench-lists-") as home:
        jobs = procs.make_jobs(JOBS)
        tokens = procs.seed_database(home / "jobs.db", jobs)
        del jobs
        with (
            procs.ServerProc(home / "jobs.db") as server,
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {tokens['worker']}"}
            ) as http,
        ):
            ids = []
            for n in range(WRITER_JOBS):
                started = http.post("/api/admin/jobs/start", json={"name": f"writer {n}"})
                started.raise_for_status()
                ids.append(started.json()["jobId"])
            _write(http, ids)  # warm up: connections, caches, the first admin encodings
            rows: list[list[str]] = []
            idle_all: list[float] = []
            loaded_all: list[float] = []
            for round_ in range(1, ROUNDS + 1):
                idle = _write(http, ids)
                loaded, read = _loaded(server, tokens["viewer"], http, ids)
                idle_all += idle
                loaded_all += loaded
                rate = f"{read['pages'] / read['seconds']:,.0f} pages/s, " + (
                    f"{read['bytes'] / read['seconds'] / 1e6:,.0f} MB/s"
                )
                rows.append(_row(f"idle, round {round_}", idle, None, ""))
                rows.append(_row(f"{VIEWERS} viewers, round {round_}", loaded, idle, rate))
            rows.append(_row("idle, all rounds", idle_all, None, ""))
            rows.append(_row(f"{VIEWERS} viewers, all rounds", loaded_all, idle_all, ""))
    print(
        f"\n{JOBS + WRITER_JOBS:,} jobs; {WRITES} progress writes per phase at "
        f"{WRITES_PER_S:.0f}/s, one at a time; viewers read pages of {MAX_PAGE}\n"
    )
    print(procs.table(["phase", "p50 ms", "p99 ms", "p99 / idle p99", "viewers read"], rows))
    ratio = _figures(loaded_all)[1] / _figures(idle_all)[1]
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"\ntarget: loaded p99 <= {TARGET_RATIO:g} x idle p99, all rounds: {verdict} ({ratio:.2f})"
    )
    return 0
