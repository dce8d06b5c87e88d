"""Replicas on PostgreSQL behind HAProxy: a worker's progress call to every one of 50
monitors, through 1, 2 and 3 replicas, beside one server on SQLite.

Every part is a process of its own: the replicas (``jobdesk serve --db postgresql://...``,
each on a port of its own, one scratch database per configuration, dropped after); HAProxy
in front of them (``haproxy.cfg`` generated into a temporary folder: plain HTTP
round robin over the replicas, WebSocket upgrades to the replica with the fewest
connections, passed through as a tunnel); one worker process (``AsyncJobdeskClient``,
the SDK: ``JOBS`` running jobs, progress calls round robin at ``--rate``, each carrying
``time.time_ns()`` taken just before the call); 50 monitors (the client's ``Engine``, a
``subscribe_jobs`` WebSocket each, into a ``JobStore`` of its own) in two processes, all
through HAProxy, so their sockets are spread over the replicas and their snapshots come
from any of them.

Per configuration, after a warm-up:

- **latency**: ``--updates`` stamped progress calls at ``--rate``; each monitor notes when
  it applied each stamped state. "each monitor" is over every (update, monitor) pair;
  "all 50 monitors" is per update, the moment the last monitor had it: the time an
  operator watching any desktop could see it.
- **ingest**: a second worker process with 1,000 more jobs, each sending at most every
  50 ms (a job's calls in between fold into one report), offers 20,000 calls/s for
  ``--ingest-seconds``: updates/s persisted (the seq's advance) from its first call until
  its last report is acknowledged.
- afterwards every replica and every monitor must hold the same state (same seq, every
  job at the same version). Each replica counts the batches it committed and those
  fenced out (another replica had changed one of their jobs first, so the batch ran
  again on the newer state), over both phases.

Baselines in the same run: one server on a SQLite file, monitors and worker connected to it
directly (no proxy), and one replica on PostgreSQL with no proxy, to tell the database's
share from the proxy's.

Needs HAProxy (Debian's ``haproxy``; installed with apt-get when missing and we are root)
and a PostgreSQL server (``--postgres URL`` of a database to connect to for creating the
scratch ones; default ``$JOBDESK_BENCH_POSTGRES``, else ``postgresql://127.0.0.1:5432/test``).
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench.fleet import (
    ROOT,
    Child,
    CpuWatch,
    Server,
    ask_all,
    monitors,
    percentile,
    producers,
    snapshot_digest,
)
from bench.procs import HOST, free_port, machine, median, table
from jobdesk.protocol import Job
from jobdesk.protocol.rest import Snapshot
from tests.paged import read_all

JOBS = 200
"""Running jobs the worker reports on, round robin: at 200 calls/s each job once a second."""
MONITORS = 50
MONITOR_PROCESSES = 2
WARMUP_CALLS = 400
INGEST_JOBS = 1_000
INGEST_RATE = 20_000
INGEST_INTERVAL_S = 0.05
"""The ingest phase's worker: 1,000 jobs, each sending at most every 50 ms (the SDK folds
a job's calls in between into one report), so up to 20,000 reports/s are offered."""
TICK_S = 0.001
DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/test"
HEALTH_PATH = "/api/schema/openapi.json"
"""What HAProxy checks: answered by every replica without a token (see docs/deploy.md)."""


# --- HAProxy ---------------------------------------------------------------------------


def ensure_haproxy() -> str | None:
    """The haproxy program, installed from Debian's package when missing and we may
    (root, apt-get); None (having said why) when it cannot be had."""
    found = shutil.which("haproxy")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(
            "haproxy is not installed, and this bench can install it only as root on Debian "
            "(apt-get install haproxy): install it and run again",
            file=sys.stderr,
        )
        return None
    print("haproxy is missing: apt-get install haproxy ...", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "haproxy"]
    for attempt in (install, ["apt-get", "update", "-q"], install):
        done = subprocess.run(attempt, env=env, capture_output=True, text=True, check=False)
        if attempt is install and done.returncode == 0:
            break
    else:
        print(f"apt-get install haproxy failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    found = shutil.which("haproxy")
    if found is None:
        print("apt-get installed haproxy, but no haproxy program is on PATH", file=sys.stderr)
    return found


def haproxy_config(port: int, replicas: Sequence[int], stats_socket: Path) -> str:
    """The proxy in front of the replicas: what docs/deploy.md shows, on loopback ports."""
    servers = "\n".join(
        f"    server r{n} {HOST}:{p} check inter 1s fall 2 rise 1"
        for n, p in enumerate(replicas, start=1)
    )
    return f"""\
global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    # a claim waits for work up to 60 s (long poll): the server side must wait longer
    timeout client 75s
    timeout server 75s
    # idle keep-alive connections of clients: above their own idle expiry (4-5 s)
    timeout http-keep-alive 75s
    # an upgraded WebSocket: the monitors' heartbeat (30 s) keeps it well inside this
    timeout tunnel 1h
    option httpchk GET {HEALTH_PATH}
    http-check expect status 200

frontend jobdesk
    bind {HOST}:{port}
    acl websocket hdr(Upgrade) -i websocket
    use_backend replicas_ws if websocket
    default_backend replicas

backend replicas
    balance roundrobin
{servers}

backend replicas_ws
    balance leastconn
{servers}
"""


class HAProxy:
    """``haproxy -db -f CFG`` (foreground), with an admin socket for ``show stat``."""

    def __init__(self, program: str, folder: Path, replicas: Sequence[int]) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.socket = folder / "haproxy.sock"
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, replicas, self.socket))
        check = subprocess.run(
            [program, "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused its configuration:\n{check.stderr}")
        self.process = subprocess.Popen(
            [program, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while not self._all_up(len(replicas)):
            if self.process.poll() is not None:
                assert self.process.stderr is not None
                raise RuntimeError(f"haproxy exited: {self.process.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"haproxy did not see every replica up: {self.stat()}")
            time.sleep(0.1)

    def stat(self) -> list[dict[str, str]]:
        """``show stat``: one row per frontend, backend and server."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(str(self.socket))
                sock.sendall(b"show stat\n")
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError:
            return []
        lines = b"".join(chunks).decode().splitlines()
        if not lines or not lines[0].startswith("# "):
            return []
        header = lines[0][2:].split(",")
        return [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]

    def _all_up(self, count: int) -> bool:
        rows = [
            r for r in self.stat() if r.get("pxname") == "replicas" and r["svname"] != "BACKEND"
        ]
        return len(rows) == count and all(r["status"] == "UP" for r in rows)

    def websockets(self) -> list[int]:
        """Open WebSocket tunnels per replica, in replica order."""
        rows = [r for r in self.stat() if r.get("pxname") == "replicas_ws"]
        return [int(r["scur"]) for r in rows if r["svname"] not in ("BACKEND", "FRONTEND")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# --- PostgreSQL ------------------------------------------------------------------------


def database_url(admin_url: str, name: str) -> str:
    """``admin_url`` with its database replaced by ``name`` (libpq URL form)."""
    parts = urlsplit(admin_url)
    return urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new empty database (UTF-8, byte-order collation), dropped afterwards even with
    connections left (a killed replica's)."""
    import psycopg
    from psycopg import sql

    name = f"jobdesk_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'").format(
                sql.Identifier(name)
            )
        )
    try:
        yield database_url(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_answers(admin_url: str) -> str | None:
    """None when a connection works, else why not."""
    import psycopg

    try:
        with psycopg.connect(admin_url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def postgres_pids() -> dict[str, int]:
    """Every ``postgres`` process on the machine (postmaster, backends, workers)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found[f"postgres{entry.name}"] = int(entry.name)
    return found


# --- replicas --------------------------------------------------------------------------


COUNTS = "bench-counts"


def replica_main(argv: list[str]) -> int:
    """``jobdesk serve ARGS`` (the command line's own code), counting the batches this
    replica committed and those fenced out by another replica's write (``Conflict``:
    run again on the newer state), and saying both on stderr four times a second."""
    from jobdesk.cli.main import main as jobdesk_main
    from jobdesk.server.batches import Conflict
    from jobdesk.server.pg.batch import PgScope

    counts = [0, 0]
    commit = PgScope.commit

    async def counted(self: PgScope, tx: Any, history_floor: int | None) -> int:
        try:
            base = await commit(self, tx, history_floor)
        except Conflict:
            counts[1] += 1
            raise
        counts[0] += 1
        return base

    PgScope.commit = counted  # type: ignore[method-assign]

    def say() -> None:
        while True:
            time.sleep(0.25)
            sys.stderr.write(f"{COUNTS} {counts[0]} {counts[1]}\n")

    threading.Thread(target=say, daemon=True).start()
    return jobdesk_main(argv)


class ReplicaProc:
    """``jobdesk serve --db URL --port P``, the command line a unit file runs (with the
    batch counter of ``replica_main``)."""

    def __init__(self, db_url: str, viewer_token: str) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log: list[str] = []
        self.counts = (0, 0)
        """(batches committed, batches fenced out by another replica's write) so far."""
        self._serving = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.cluster", "replica", "serve", "--db", db_url,
             "--host", HOST, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {viewer_token}"}, timeout=30
        )

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if line.startswith(COUNTS):
                _, commits, conflicts = line.split()
                self.counts = (int(commits), int(conflicts))
                continue
            self.log.append(line)
            if " serving http://" in line:
                self._serving.set()
            elif " WARNING " in line or " ERROR " in line or " CRITICAL " in line:
                sys.stderr.write(f"  [replica :{self.port}] {line}")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"a replica exited:\n{''.join(self.log[-20:])}")
            if self._serving.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    if self._http.get("/api/jobs", params={"limit": 1}).status_code == 200:
                        return
            time.sleep(0.05)
        raise TimeoutError(f"a replica did not answer in {timeout:.0f} s")

    def snapshot(self) -> Snapshot[Job]:
        return read_all(self._http, Job)

    def leads(self) -> bool:
        return any("this replica leads" in line for line in self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._http.close()


# --- one configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    label: str
    replicas: int
    """0: one server on SQLite."""
    proxy: bool


@dataclass
class Result:
    setup: Setup
    each_ms: list[float] = field(default_factory=list)
    """Per (update, monitor): from the SDK call to that monitor's store."""
    all_ms: list[float] = field(default_factory=list)
    """Per update: from the SDK call until the last monitor had it."""
    updates: int = 0
    partial: int = 0
    """Updates some monitor never saw as such (a newer state of the job came first)."""
    paced_s: float = 0.0
    ingest_per_s: float = 0.0
    spread: list[int] = field(default_factory=list)
    reconnects: int = 0
    settle_s: float = 0.0
    batches: list[int] = field(default_factory=list)
    """Batches each replica committed (both phases)."""
    conflicts: int = 0
    cores: dict[str, float] = field(default_factory=dict)


def _stamps(arrivals: list[list[list[list[int]]]]) -> tuple[list[float], list[float], int, int]:
    """(per pair ms, per update ms when every monitor had it, updates, partial)."""
    monitors_seen = [
        {stamp: now for stamp, now in reversed(watch)} for answer in arrivals for watch in answer
    ]  # reversed: the first arrival of a stamp wins
    each = [(now - stamp) / 1e6 for seen in monitors_seen for stamp, now in seen.items()]
    every: set[int] = set().union(*(seen.keys() for seen in monitors_seen))
    last = []
    partial = 0
    for stamp in every:
        times = [seen.get(stamp) for seen in monitors_seen]
        if any(t is None for t in times):
            partial += 1
            continue
        last.append((max(t for t in times if t is not None) - stamp) / 1e6)
    return each, last, len(every), partial


def _consistent(
    replicas: Sequence[Server | ReplicaProc], crowd: Sequence[Child], within: float
) -> float:
    """Seconds until every replica and every monitor hold the same state."""
    started = time.monotonic()
    while True:
        views = [replica.snapshot() for replica in replicas]
        wanted = [[view.seq, snapshot_digest(view)] for view in views]
        stores = [store for answer in ask_all(crowd, "digest") for store in answer["stores"]]
        if all(w == wanted[0] for w in wanted) and all(s == wanted[0] for s in stores):
            return time.monotonic() - started
        if time.monotonic() - started > within:
            behind = [s for s in stores if s != wanted[0]]
            raise AssertionError(
                f"replicas {wanted}; {len(behind)} of {len(stores)} monitors differ: {behind[:3]}"
            )
        time.sleep(0.2)


def run_setup(
    setup: Setup,
    folder: Path,
    *,
    haproxy: str | None,
    admin_url: str,
    updates: int,
    rate: float,
    ingest_s: float,
) -> Result:
    with contextlib.ExitStack() as stack:
        db_url: str | None = None
        servers: list[Server | ReplicaProc] = []
        if setup.replicas == 0:
            sqlite = Server(folder)
            stack.callback(sqlite.kill)
            servers.append(sqlite)
            url, worker_token, viewer_token = sqlite.url, sqlite.worker_token, sqlite.viewer_token
        else:
            from jobdesk.server.tokens import create_token

            db_url = stack.enter_context(scratch_database(admin_url))
            worker_token = create_token(db_url, "worker", "bench-worker")
            viewer_token = create_token(db_url, "viewer", "bench-monitor")
            replicas = [ReplicaProc(db_url, viewer_token) for _ in range(setup.replicas)]
            for replica in replicas:
                stack.callback(replica.stop)
            for replica in replicas:
                replica.wait_ready()
            servers += replicas
            url = replicas[0].url
        proxy: HAProxy | None = None
        if setup.proxy:
            assert haproxy is not None
            proxy = HAProxy(
                haproxy, folder, [s.port for s in servers if isinstance(s, ReplicaProc)]
            )
            stack.callback(proxy.stop)
            url = proxy.url

        worker = producers(url, worker_token, JOBS)
        stack.callback(worker.close)
        worker.answer(timeout=120)
        crowd = [
            monitors(url, viewer_token, MONITORS // MONITOR_PROCESSES)
            for _ in range(MONITOR_PROCESSES)
        ]
        for child in crowd:
            stack.callback(child.close)
        ask_all(crowd, f"wait_ready {JOBS}", timeout=120)
        result = Result(setup)
        result.spread = proxy.websockets() if proxy is not None else [MONITORS]

        worker.ask(f"go {rate} 1 {TICK_S} {WARMUP_CALLS}")
        worker.ask("wait_done", timeout=120)
        time.sleep(0.5)
        replicas = [s for s in servers if isinstance(s, ReplicaProc)]
        time.sleep(0.3)  # the replicas' counts are said every 0.25 s
        before = [r.counts for r in replicas]
        ask_all(crowd, "record arrivals")
        pids = {"worker": worker.process.pid}
        pids |= {f"monitors{i}": c.process.pid for i, c in enumerate(crowd)}
        pids |= {f"server{i}": s.process.pid for i, s in enumerate(servers)}
        if proxy is not None:
            pids["haproxy"] = proxy.process.pid
        if db_url is not None:
            pids |= postgres_pids()
        cpu = CpuWatch(pids)
        began = time.monotonic()
        worker.ask(f"go {rate} 1 {TICK_S} {updates}")
        worker.ask("wait_done", timeout=updates / rate + 120)
        result.paced_s = time.monotonic() - began
        worker.ask("stop", timeout=120)  # flush: every report sent and acknowledged
        used = cpu.cores()
        result.settle_s = _consistent(servers, crowd, within=60)
        seen = ask_all(crowd, "stop_record", timeout=120)
        result.each_ms, result.all_ms, result.updates, result.partial = _stamps(
            [answer["arrivals"] for answer in seen]
        )
        result.reconnects = sum(int(answer["reconnects"]) for answer in seen)

        ingest = producers(url, worker_token, INGEST_JOBS, interval=INGEST_INTERVAL_S)
        stack.callback(ingest.close)
        ingest.answer(timeout=120)
        ask_all(crowd, f"wait_ready {JOBS + INGEST_JOBS}", timeout=120)
        first = servers[0].snapshot().seq
        began = time.monotonic()
        ingest.ask(f"go {INGEST_RATE} 0 {TICK_S} {int(INGEST_RATE * ingest_s)}")
        ingest.ask("wait_done", timeout=ingest_s + 120)
        ingest.ask("stop", timeout=120)
        seconds = time.monotonic() - began
        last = servers[0].snapshot().seq
        result.ingest_per_s = (last - first) / seconds
        _consistent(servers, crowd, within=60)
        time.sleep(0.3)
        result.batches = [r.counts[0] - b[0] for r, b in zip(replicas, before, strict=True)]
        result.conflicts = sum(r.counts[1] - b[1] for r, b in zip(replicas, before, strict=True))

        def total(prefix: str) -> float:
            return sum(v for k, v in used.items() if k.startswith(prefix))

        result.cores = {
            name: total(name) for name in ("server", "postgres", "haproxy", "worker", "monitors")
        } | {"others": used["others"]}
        return result


# --- the run ---------------------------------------------------------------------------

SETUPS = (
    Setup("SQLite, one server, direct (baseline)", 0, proxy=False),
    Setup("PostgreSQL, 1 replica, direct", 1, proxy=False),
    Setup("PostgreSQL, 1 replica, HAProxy", 1, proxy=True),
    Setup("PostgreSQL, 2 replicas, HAProxy", 2, proxy=True),
    Setup("PostgreSQL, 3 replicas, HAProxy", 3, proxy=True),
)


def print_table(results: list[Result], rate: float) -> None:
    rows = []
    for r in results:
        c = r.cores
        cores = (
            f"{c['server']:.2f}, {c['postgres']:.2f}, {c['haproxy']:.2f}, "
            f"{c['worker']:.2f}, {c['monitors']:.2f}, {c['others']:.2f}"
        )
        pg = "" if r.setup.replicas == 0 else f"{'/'.join(map(str, r.batches))}, {r.conflicts}"
        rows.append(
            [
                r.setup.label,
                f"{median(r.each_ms):.1f} ms",
                f"{percentile(r.each_ms, 0.99):.1f} ms",
                f"{median(r.all_ms):.1f} ms",
                f"{percentile(r.all_ms, 0.99):.1f} ms",
                f"{r.updates / r.paced_s:,.0f}",
                f"{r.ingest_per_s:,.0f}",
                "/".join(str(n) for n in r.spread),
                pg,
                str(r.reconnects),
                f"{r.settle_s:.1f} s",
                cores,
            ]
        )
    print(
        table(
            [
                "configuration",
                "p50, each monitor",
                "p99, each monitor",
                "p50, all 50",
                "p99, all 50",
                f"paced calls/s (asked {rate:,.0f})",
                "ingest: updates/s persisted",
                "sockets per replica",
                "batches per replica, fenced out",
                "reconnects",
                "consistent after",
                "cores: servers, postgres, haproxy, worker, monitors, others",
            ],
            rows,
        )
    )


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cluster", description=__doc__)
    parser.add_argument("--updates", type=int, default=2_000, help="stamped calls per setup")
    parser.add_argument("--rate", type=float, default=200.0, help="stamped calls per second")
    parser.add_argument(
        "--ingest-seconds",
        type=float,
        default=3.0,
        help=f"how long the ingest phase offers {INGEST_RATE:,} calls/s (default: 3)",
    )
    parser.add_argument(
        "--replicas", default="1,2,3", help="replica counts behind HAProxy (default: 1,2,3)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("JOBDESK_BENCH_POSTGRES", DEFAULT_POSTGRES),
        help="a PostgreSQL database to connect to for creating the scratch ones "
        f"(default: $JOBDESK_BENCH_POSTGRES, else {DEFAULT_POSTGRES})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="500 updates, 1 s of ingest, 1 and 3 replicas"
    )
    args = parser.parse_args(list(argv))
    if args.quick:
        args.updates, args.ingest_seconds, args.replicas = 500, 1.0, "1,3"
    counts = {int(n) for n in args.replicas.split(",") if n}

    haproxy = ensure_haproxy()
    if haproxy is None:
        print("cannot run the cluster bench without HAProxy", file=sys.stderr)
        return 1
    if (why := postgres_answers(args.postgres)) is not None:
        print(f"cannot reach PostgreSQL at {args.postgres}: {why}", file=sys.stderr)
        return 1
    version = subprocess.run([haproxy, "-v"], capture_output=True, text=True, check=False)
    print(
        f"# Replicas behind HAProxy: {args.updates:,} progress calls at {args.rate:,.0f}/s "
        f"to {MONITORS} monitors, {JOBS} jobs; then ingest: {INGEST_JOBS:,} more jobs offer "
        f"{INGEST_RATE:,} calls/s for {args.ingest_seconds:g} s"
    )
    print(machine())
    print(version.stdout.splitlines()[0] if version.stdout else "haproxy (version unknown)")
    print(_postgres_version(args.postgres))
    setups = [s for s in SETUPS if (s.replicas <= 1 and not s.proxy) or s.replicas in counts]
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jobdesk-bench-cluster-") as tmp:
        for number, setup in enumerate(setups):
            folder = Path(tmp) / str(number)
            folder.mkdir()
            result = run_setup(
                setup,
                folder,
                haproxy=haproxy,
                admin_url=args.postgres,
                updates=args.updates,
                rate=args.rate,
                ingest_s=args.ingest_seconds,
            )
            results.append(result)
            print(
                f"  {setup.label}: p50 {median(result.all_ms):.1f} ms to all monitors, "
                f"ingest {result.ingest_per_s:,.0f}/s",
                file=sys.stderr,
                flush=True,
            )
    print()
    print_table(results, args.rate)
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0


def _postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["replica"]:
        sys.exit(replica_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
