"""``--backend NAME`` and ``--option KEY=VALUE``: which kind of job system a command
watches, for ``jobdesk watch`` and ``jobdesk monitor`` alike; and their URLs: one
server, or several replicas of one jobdesk cluster (``URL URL...`` or ``URL,URL``)."""

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
    """Whether the chosen kind's backend asks for credentials at all."""
    from jobdesk.client.kinds import kind_of

    return kind_of(kind).needs_token


REPLICAS = "replicas"
"""The jobdesk kind's option that more URLs of the command line go to."""


def add_url_argument(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("url", metavar="URL", nargs="*", help=help)


def urls_from(
    args: argparse.Namespace, kind: str, given: dict[str, str]
) -> tuple[str | None, dict[str, str]]:
    """The first URL (None: none given) and the options, with any further URLs (several
    arguments, or separated by commas) appended to the jobdesk kind's ``replicas``."""
    from jobdesk.client.kinds import DEFAULT_KIND, kind_of
    from jobdesk.client.replicas import split_urls

    urls = [url for argument in args.url for url in split_urls(argument)]
    if not urls:
        return None, given
    first, more = urls[0], urls[1:]
    if not more:
        return first, given
    if kind != DEFAULT_KIND:
        raise UsageError(
            f"argument URL: one URL for --backend {kind} "
            f"(several are replicas of one {DEFAULT_KIND} cluster)"
        )
    options = dict(given)
    options[REPLICAS] = " ".join(split_urls(options.get(REPLICAS, "")) + more)
    try:
        kind_of(kind).check_options(options)
    except ValueError as exc:
        raise UsageError(f"argument URL: {exc}") from None
    return first, options
