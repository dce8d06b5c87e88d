"""``jobdesk job submit|cancel|retry``: the work queue from a shell.

``submit`` speaks seed 000's submission codes only, whoever found the problem: the
command line (a --max-attempts that is not a number), the SDK (one below 1) or the
server (a token that may not submit). So its option values are plain text here and are
checked by the SDK, not by argparse, and every refusal reads ``CODE: message``. Bad
input exits 2, like any bad command line; the rest exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Final

from jobdesk.cli.errors import CliError, UsageError
from jobdesk.cli.job_session import add_common, explain, unreachable, with_client
from jobdesk.cli.parser import Commands, Parser, command

if TYPE_CHECKING:
    from jobdesk.sdk import JobdeskClient, SdkError

DEFAULT_ATTEMPTS: Final = 3
"""A job submitted from a shell is retried twice: a script's work is usually worth it."""

OPTION_OF_FIELD: Final = {
    "jobType": "--type",
    "name": "--name",
    "priority": "--priority",
    "payload": "--payload",
    "maxAttempts": "--max-attempts",
    "timeout": "--timeout",
}

SUBMIT_HELP = f"""\
Put a job on the queue and print its id on stdout. A worker that claims jobs of its
type (SDK: client.worker().jobs(TYPE)) gets the payload; a failed attempt is retried
after a backoff until --max-attempts are used (default {DEFAULT_ATTEMPTS}).

  jobdesk job submit --type send-email --payload '{{"to": "a@b.c"}}'
  jobdesk job submit --type render --payload @scene.json --priority HIGH --timeout 600

Many at once: --from FILE (or - for stdin) holds one job a line as a JSON object with
POST /api/jobs's fields (jobType, name, payload, priority, maxAttempts, timeout,
metadata), or one JSON array of them; --type, --priority, --max-attempts and --timeout
fill what a line leaves out. They go 1,000 a request, each request queued whole or not
at all, and their ids are printed one a line in the file's order:

  jobdesk job submit --from frames.jsonl --type render
  seq 1 100000 | jq -c '{{payload: {{frame: .}}}}' | jobdesk job submit --from - --type render

A failure prints one of seed 000's codes: INVALID_INPUT (exit 2), AUTH_REQUIRED,
SUBMISSION_FAILED (the server stayed unreachable or full for --retry-for seconds) or
UNKNOWN_ERROR (exit 1)."""


def register(sub: Commands[Parser]) -> None:
    _register_submit(sub)
    _register_cancel(sub)
    _register_retry(sub)


def _register_submit(sub: Commands[Parser]) -> None:
    parser = command(sub, "submit", "put a job on the queue and print its id", SUBMIT_HELP)
    parser.code = "INVALID_INPUT"
    parser.add_argument(
        "--type",
        dest="job_type",
        metavar="TYPE",
        help="what workers claim it by (required without --from)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="submit every job of FILE (JSON lines or a JSON array; - for stdin)",
    )
    parser.add_argument("--name", help="a name shown in the monitor (default: the type)")
    parser.add_argument(
        "--priority", default="MEDIUM", metavar="HIGH|MEDIUM|LOW", help="(default: MEDIUM)"
    )
    parser.add_argument(
        "--payload", metavar="JSON|@FILE", help="the work's input: JSON, or @file / @- (stdin)"
    )
    parser.add_argument(
        "--max-attempts",
        default=str(DEFAULT_ATTEMPTS),
        metavar="N",
        help=f"tries before a failure is final (default: {DEFAULT_ATTEMPTS})",
    )
    parser.add_argument(
        "--timeout", metavar="SECONDS", help="longest one attempt may run (default: server's)"
    )
    add_common(parser)
    parser.set_defaults(handler=with_client(_submit, _explain_submission))


def _register_cancel(sub: Commands[Parser]) -> None:
    parser = command(
        sub,
        "cancel",
        "cancel a job (operators)",
        "Cancel a job: a waiting one never runs, a running one stops at its worker's next\n"
        "report. Prints the job id and its new status. Needs an operator token.",
    )
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument("--reason", help="why, for the job's log")
    add_common(parser)
    parser.set_defaults(handler=with_client(_cancel, _explain_operation))


def _register_retry(sub: Commands[Parser]) -> None:
    parser = command(
        sub,
        "retry",
        "queue a failed or cancelled job once more (operators)",
        "Queue a failed or cancelled job again, with one more attempt; its earlier attempts\n"
        "stay in its history. A completed job cannot be retried: submit a new one.\n"
        "Prints the job id and its new status. Needs an operator token.",
    )
    parser.add_argument("job_id", metavar="JOB_ID")
    add_common(parser)
    parser.set_defaults(handler=with_client(_retry, _explain_operation))


# --- running ------------------------------------------------------------------------------


def _submit(client: JobdeskClient, args: argparse.Namespace) -> None:
    if args.source is not None:
        _submit_many(client, args)
        return
    if args.job_type is None:
        raise _invalid("--type is required (or --from FILE)")
    job_id = client.submit_job(
        args.job_type,
        name=args.name,
        payload=_payload(args.payload),
        priority=args.priority,
        max_attempts=_whole("--max-attempts", args.max_attempts),
        timeout=None if args.timeout is None else _number("--timeout", args.timeout),
        metadata=None,
    )
    print(job_id, flush=True)


def _submit_many(client: JobdeskClient, args: argparse.Namespace) -> None:
    from jobdesk.sdk import BulkSubmissionError, JobSpec, SubmissionError

    defaults: dict[str, Any] = {
        "priority": args.priority,
        "max_attempts": _whole("--max-attempts", args.max_attempts),
    }
    if args.job_type is not None:
        defaults["job_type"] = args.job_type
    if args.timeout is not None:
        defaults["timeout"] = _number("--timeout", args.timeout)
    specs = []
    for where, fields in _jobs_of(args.source):
        if "job_type" not in defaults and isinstance(fields, dict) and "jobType" not in fields:
            raise _invalid(f"{where}: no jobType (give it on the line, or --type for all)")
        try:
            spec = JobSpec.from_wire(fields, defaults)
            spec.request()  # checked here, to name the line
            specs.append(spec)
        except SubmissionError as refused:
            raise _invalid(f"{where}: {refused.message}") from None
    try:
        job_ids = client.submit_jobs(specs)
    except BulkSubmissionError as partly:
        print("\n".join(partly.submitted), flush=True)  # what was queued, before the error
        raise
    if job_ids:
        print("\n".join(job_ids), flush=True)


def _jobs_of(source: str) -> list[tuple[str, Any]]:
    """The jobs of ``--from``: (where, JSON value) for each line, or each array item."""
    try:
        text = sys.stdin.read() if source == "-" else _read(source)
    except OSError as exc:
        raise _invalid(f"--from {source}: cannot read it: {exc.strerror or exc}") from None
    if text.lstrip().startswith("["):
        return [(f"{source}[{n}]", item) for n, item in enumerate(_parsed(source, text))]
    return [
        (f"{source}:{n}", _parsed(f"{source}:{n}", line))
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _parsed(where: str, text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        raise _invalid(f"{where} is not valid JSON: {exc}") from None


def _cancel(client: JobdeskClient, args: argparse.Namespace) -> None:
    job = client.cancel_job(args.job_id, reason=args.reason)
    print(job.id, job.status.value, flush=True)


def _retry(client: JobdeskClient, args: argparse.Namespace) -> None:
    job = client.retry_job(args.job_id)
    print(job.id, job.status.value, flush=True)


def _invalid(message: str) -> UsageError:
    return UsageError(f"INVALID_INPUT: {message}")


def _whole(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _invalid(f"{option} must be a whole number, got {text!r}") from None


def _number(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _invalid(f"{option} must be a number, got {text!r}") from None


def _payload(given: str | None) -> Any:
    """``--payload``: JSON itself, ``@file`` or ``@-`` for stdin."""
    if given is None:
        return None
    text, source = given, "--payload"
    if given.startswith("@"):
        source = f"--payload {given}"
        try:
            text = sys.stdin.read() if given == "@-" else _read(given[1:])
        except OSError as exc:
            raise _invalid(f"{source}: cannot read it: {exc.strerror or exc}") from None
    return _parsed(source, text)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def _explain_submission(exc: SdkError, url: str) -> CliError:
    """Seed 000's code first; the server's own after it when it differs (for debugging)."""
    from jobdesk.sdk import SubmissionError

    error = SubmissionError.wrap(exc)
    if error.server_code == "UNAVAILABLE":
        message = unreachable(url, error.message)
    else:
        message = error.message
        if error.server_code != error.code:
            message += f" (server: {error.server_code})"
    option = OPTION_OF_FIELD.get(error.field or "")
    if option is not None:
        message += f" ({option})"
    kind = UsageError if error.code == "INVALID_INPUT" else CliError
    return kind(f"{error.code}: {message}")


def _explain_operation(exc: SdkError, url: str) -> CliError:
    """``CODE: message`` with the server's own code (NOT_FOUND, CONFLICT, FORBIDDEN...)."""
    from jobdesk.sdk import UNAVAILABLE

    if exc.code == UNAVAILABLE:
        return explain(exc, url)
    return CliError(f"{exc.code}: {exc.message}")
