"""``--backend NAME`` and ``--option KEY=VALUE``: which kind of job system a command
watches, for ``jobdesk watch`` and ``jobdesk monitor`` alike."""

from __future__ import annotations

import argparse

from jobdesk.cli.errors import UsageError


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    from jobdesk.client.kinds import DEFAULT_KIND, KINDS

    parser.add_argument(
        "--backend",
        choices=sorted(KINDS),
        default=DEFAULT_KIND,
        help=f"what kind of job system URL is (default: {DEFAULT_KIND})",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting of the backend (repeatable; docs/client.md lists each backend's)",
    )


def backend_from(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """The chosen kind and its options, checked (a UsageError names a bad one)."""
    from jobdesk.client.kinds import kind_of

    given: dict[str, str] = {}
    for item in args.option:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"argument --option: expected KEY=VALUE, got {item!r}")
        given[key.strip()] = value
    try:
        kind_of(args.backend).check_options(given)
    except ValueError as exc:
        raise UsageError(f"argument --option: {exc}") from None
    return args.backend, given


def needs_token(kind: str) -> bool:
    from jobdesk.client.kinds import kind_of

    return kind_of(kind).needs_token
