"""``jobdesk history``: the jobs a server keeps, finished ones included, newest first.

The live table (``watch``) shows the server's live set; a finished job leaves it after a
while (retention) but stays in the database, which ``GET /api/history`` reads a page at
a time. This prints those pages as a table, or as one JSON object per job (the job
whole, as ``GET /api/jobs/{id}/detail`` has it) with ``--json``, with the History
view's filters. Times typed as ``--from``/``--to`` are local unless they name a zone.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Final

from jobdesk.cli import options
from jobdesk.cli.errors import CliError, UsageError
from jobdesk.cli.parser import Commands, Parser, command

if TYPE_CHECKING:
    from jobdesk.core.history import HistoryFilter
    from jobdesk.protocol import Job

DEFAULT_LIMIT: Final = 50
MAX_PAGE: Final = 500
"""The largest page ``GET /api/history`` gives; more jobs than that take several."""
ERROR_WIDTH: Final = 60

OPTION_OF_FIELD: Final = {
    "status": "--status",
    "jobType": "--type",
    "owner": "--owner",
    "q": "--text",
    "from": "--from",
    "to": "--to",
    "limit": "--limit",
}

DESCRIPTION = f"""\
List the jobs a jobdesk server keeps, newest created first: the live ones and those
retention moved out of the live set (they stay in its database). A table, or with
--json one JSON object per line, each job whole (log, attempts, payload, result).
At most --limit jobs (default {DEFAULT_LIMIT}); when older ones match too, stderr says so.

  jobdesk history --status failed --from 2026-12-01
  jobdesk history --type render --text "out of memory" --json | jq -r .id

Times are local unless they name a zone (2026-12-01, "2026-12-01 14:30",
2026-12-01T13:30:00Z); a date alone as --to includes that whole day. Any role's token
will do (viewer is enough): --token or ${options.TOKEN_ENV}."""


def register(commands: Commands[Parser]) -> None:
    parser = command(
        commands, "history", "list the jobs a server keeps, finished ones too", DESCRIPTION
    )
    options.add_server_options(parser)
    parser.add_argument("--status", metavar="WORD", help="any seed's word: failed, error, ...")
    parser.add_argument("--type", dest="job_type", metavar="TYPE", help="this job type only")
    parser.add_argument("--owner", metavar="NAME", help="jobs owned by this token name")
    parser.add_argument("--text", metavar="TEXT", help="text anywhere in the job, any case")
    parser.add_argument(
        "--from", dest="created_from", type=_start, metavar="TIME", help="created at or after"
    )
    parser.add_argument("--to", dest="created_to", type=_end, metavar="TIME", help="created before")
    parser.add_argument(
        "--limit",
        type=options.positive_int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"print at most N jobs (default: {DEFAULT_LIMIT})",
    )
    parser.add_argument("--json", action="store_true", help="JSON lines, each job whole")
    parser.set_defaults(handler=run)


def _start(text: str) -> str | None:
    return _bound(text, end=False)


def _end(text: str) -> str | None:
    return _bound(text, end=True)


def _bound(text: str, *, end: bool) -> str | None:
    from jobdesk.core.history import moment_bound

    try:
        return moment_bound(text, end=end)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    import asyncio

    from jobdesk.core.history import HistoryFilter

    url, token = options.server_url(args.url), options.token(args.token)
    wanted = HistoryFilter(
        status=args.status or None,
        job_type=args.job_type or None,
        owner=args.owner or None,
        text=args.text or None,
        created_from=args.created_from,
        created_to=args.created_to,
    )
    jobs, more = asyncio.run(read(url, token, wanted, args.limit))
    if args.json:
        import msgspec

        out = sys.stdout.buffer
        for job in jobs:
            out.write(msgspec.json.encode(job) + b"\n")
        out.flush()
    elif jobs:
        print(table(jobs), flush=True)
    else:
        print("jobdesk: no jobs match", file=sys.stderr)
    if more and jobs:
        print(
            f"jobdesk: {len(jobs)} shown; older ones match too "
            f"(--limit {args.limit * 2}, or --to {jobs[-1].created_at})",
            file=sys.stderr,
        )
    return 0


async def read(url: str, token: str, wanted: HistoryFilter, limit: int) -> tuple[list[Job], bool]:
    """Up to ``limit`` jobs, following the pages, and whether older ones match too."""
    import httpx

    from jobdesk.cli.job_session import unreachable
    from jobdesk.client.errors import AuthRejected, RequestRefused
    from jobdesk.client.rest import RestApi
    from jobdesk.protocol import Job

    rest = RestApi(url, token, timeout=30)
    jobs: list[Job] = []
    cursor: str | None = None
    try:
        while True:
            page = await rest.history(
                wanted, Job, limit=min(MAX_PAGE, limit - len(jobs) + 1), cursor=cursor
            )
            jobs.extend(page.jobs)
            cursor = page.next_cursor
            if cursor is None or len(jobs) > limit:
                return jobs[:limit], len(jobs) > limit or cursor is not None
    except RequestRefused as exc:
        option = OPTION_OF_FIELD.get(exc.field or "")
        raise UsageError(f"{exc.message} ({option})" if option else exc.message) from None
    except AuthRejected as exc:
        raise CliError(str(exc)) from None
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status == 404:
            why = f"{url} has no history to read (HTTP 404): is it a jobdesk server?"
            raise CliError(why) from None
        raise CliError(f"the server answered HTTP {status}") from None
    except httpx.HTTPError as exc:
        raise CliError(unreachable(url, str(exc) or type(exc).__name__)) from None
    finally:
        await rest.aclose()


COLUMNS: Final = ("ID", "CREATED", "STATUS", "TYPE", "OWNER", "DURATION", "NAME", "ERROR")


def table(jobs: list[Job]) -> str:
    """Plain columns (no colour, no box), so the text greps and pastes as it reads."""
    from jobdesk.core.history import duration_text, run_seconds

    rows = [
        (
            job.id,
            _local(job.created_at),
            job.status.value,
            job.job_type,
            job.owner or "-",
            duration_text(run_seconds(job)) or "-",
            job.name,
            _first_line(job.error or ""),
        )
        for job in jobs
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS) - 1)]
    lines = []
    for row in [COLUMNS, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _local(timestamp: str) -> str:
    from jobdesk.protocol import parse_timestamp

    try:
        moment = parse_timestamp(timestamp)
    except ValueError:
        return timestamp
    return datetime.fromtimestamp(moment.timestamp()).strftime("%Y-%m-%d %H:%M:%S")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= ERROR_WIDTH else line[: ERROR_WIDTH - 1] + "…"
