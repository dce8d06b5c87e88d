"""``jobdesk job ...``: submit, cancel and retry jobs, and report on them from a shell
script, through the worker SDK (one short session per command: see ``job_session``).

This module has the reporting commands (seed 001 and 002: create, progress, message,
complete, fail); ``job_queue`` has the queue's (submit, cancel, retry).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jobdesk.cli import job_queue, options
from jobdesk.cli.job_session import add_common, with_client
from jobdesk.cli.parser import Commands, Parser, add_commands, command

if TYPE_CHECKING:
    from jobdesk.sdk import JobdeskClient

DESCRIPTION = f"""\
Submit jobs, and report on them from shell scripts. The server and token come from
--url / --token or, better, from ${options.URL_ENV} and ${options.TOKEN_ENV}:

  export {options.URL_ENV}=http://127.0.0.1:8765
  export {options.TOKEN_ENV}=$(jobdesk token create --role worker --name backup-script)
  job=$(jobdesk job create --type file_processing --name nightly-backup --start)
  jobdesk job progress "$job" 40 --message "Copying files"
  jobdesk job message "$job" "disk almost full" --level warning
  jobdesk job complete "$job" --result '{{"files": 1200}}'   # or: jobdesk job fail "$job" "..."

Put work on the queue for workers (SDK: client.worker().jobs(...)) to claim, and manage it
with an operator token:

  id=$(jobdesk job submit --type send-email --payload '{{"to": "a@b.c"}}' --max-attempts 3)
  jobdesk job cancel "$id" --reason "sent by hand"
  jobdesk job retry "$id"                            # a failed or cancelled job, once more
"""


def register(commands: Commands[Parser]) -> None:
    group = command(commands, "job", "submit jobs, manage them, report on them", DESCRIPTION)
    sub = add_commands(group, "job commands")
    job_queue.register(sub)
    _register_create(sub)
    _register_progress(sub)
    _register_message(sub)
    _register_complete(sub)
    _register_fail(sub)


def _register_create(sub: Commands[Parser]) -> None:
    parser = command(
        sub,
        "create",
        "create a job and print its id",
        "Create a job and print its id on stdout. Without --start it is queued, for any "
        "worker\nto take up (its first progress makes it running); with --start it is "
        "running\nand owned by this token, because the caller is doing the work.",
    )
    parser.add_argument(
        "--type", default="generic", dest="job_type", help="job type (default: generic)"
    )
    parser.add_argument("--name", type=options.name, help="a name shown in the monitor")
    parser.add_argument("--message", default="", help="initial status line")
    parser.add_argument(
        "--metadata", type=options.json_object, help='a JSON object, e.g. \'{"fileName": "a.pdf"}\''
    )
    parser.add_argument(
        "--priority", choices=("high", "medium", "low"), default="medium", help="(default: medium)"
    )
    parser.add_argument("--start", action="store_true", help="start it running now, owned by me")
    add_common(parser)
    parser.set_defaults(handler=with_client(_create))


def _register_progress(sub: Commands[Parser]) -> None:
    parser = command(
        sub,
        "progress",
        "set a job's progress (percent, 0-100)",
        "Set a job's progress, in percent from 0 to 100 (not a 0-1 fraction).\nWith "
        "--sub-operation it is that step's progress, and the job's becomes the\nweighted "
        "mean of its steps.",
    )
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument("percent", metavar="PERCENT", type=options.percent, help="0 to 100")
    parser.add_argument("--message", help="new status line")
    parser.add_argument("--sub-operation", metavar="NAME", type=options.name, help="step name")
    add_common(parser)
    parser.set_defaults(handler=with_client(_progress))


def _register_message(sub: Commands[Parser]) -> None:
    parser = command(
        sub,
        "message",
        "add a log message to a job",
        "Add a message to a job's log; it also becomes the job's status line.\nAn error "
        "message does not end the job (use 'jobdesk job fail' for that).",
    )
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument("text", metavar="TEXT")
    parser.add_argument(
        "--level", choices=("info", "warning", "error"), default="info", help="(default: info)"
    )
    add_common(parser)
    parser.set_defaults(handler=with_client(_message))


def _register_complete(sub: Commands[Parser]) -> None:
    parser = command(sub, "complete", "mark a job completed", "Mark a job completed (100%).")
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument("--result", type=options.json_value, help="the result, as JSON")
    parser.add_argument("--message", help="final status line")
    add_common(parser)
    parser.set_defaults(handler=with_client(_complete))


def _register_fail(sub: Commands[Parser]) -> None:
    parser = command(sub, "fail", "mark a job failed", "Mark a job failed with an error text.")
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument("error", metavar="ERROR", help="what went wrong")
    add_common(parser)
    parser.set_defaults(handler=with_client(_fail))


# --- running ------------------------------------------------------------------------------


def _create(client: JobdeskClient, args: argparse.Namespace) -> None:
    if args.start:
        job = client.start_job(
            args.job_type,
            name=args.name,
            message=args.message,
            metadata=args.metadata,
            priority=args.priority.upper(),
        )
        job.close()  # the job stays running; this process is done with it
        job_id = job.job_id
    else:
        job_id = client.create_job(
            args.job_type,
            name=args.name,
            message=args.message,
            metadata=args.metadata,
            priority=args.priority.upper(),
        )
    print(job_id, flush=True)


def _progress(client: JobdeskClient, args: argparse.Namespace) -> None:
    job = client.reporter(args.job_id)
    if args.sub_operation:
        job.sub_operation(args.sub_operation, args.percent, args.message)
    else:
        job.progress(args.percent, args.message)
    job.close()  # waits for delivery; raises what the server said


def _message(client: JobdeskClient, args: argparse.Namespace) -> None:
    job = client.reporter(args.job_id)
    {"info": job.info, "warning": job.warning, "error": job.error}[args.level](args.text)
    job.close()


def _complete(client: JobdeskClient, args: argparse.Namespace) -> None:
    client.reporter(args.job_id).complete(result=args.result, message=args.message)


def _fail(client: JobdeskClient, args: argparse.Namespace) -> None:
    client.reporter(args.job_id).fail(args.error)
