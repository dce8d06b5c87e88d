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
        "--type", required=True, dest="job_type", metavar="TYPE", help="what workers claim it by"
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

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        raise _invalid(f"{source} is not valid JSON: {exc}") from None


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
