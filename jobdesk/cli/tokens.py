"""``jobdesk token create``: make a bearer token, written straight into the database.

It works on the database file rather than through the API, so the very first token
(the operator's) can be made before anyone can authenticate; it also works while the
server runs, which looks tokens up on first use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.parser import Commands, Parser, add_commands, command
from jobdesk.cli.paths import DB_HELP, default_db_path

ROLES = ("operator", "worker", "viewer")

CREATE_DESCRIPTION = """\
Create a token and print it once on stdout (only the token, so scripts can capture it).
The database keeps only its hash: store it now, it cannot be shown again.

Roles: operator (reads everything, acts on any job), worker (creates jobs, updates its
own), viewer (reads only). The name is who the server says did something: a worker's
name becomes the owner of the jobs it starts.

  export JOBDESK_TOKEN=$(jobdesk token create --role worker --name worker-1)
"""


def register(commands: Commands[Parser]) -> None:
    group = command(commands, "token", "create bearer tokens", "Manage bearer tokens.")
    sub = add_commands(group, "token commands")
    create = command(sub, "create", "create a token and print it", CREATE_DESCRIPTION)
    create.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    create.add_argument(
        "--name", required=True, type=options.name, help="who uses it, e.g. worker-1"
    )
    create.add_argument("--db", type=Path, help=DB_HELP)
    create.set_defaults(handler=run_create)


def run_create(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from jobdesk.server.tokens import create_token

    db_path: Path = args.db or default_db_path()
    try:
        token = create_token(db_path, args.role, args.name)
    except (OSError, SQLAlchemyError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise CliError(f"cannot write the database {db_path}: {reason}") from None
    print(token, flush=True)
    print(
        f"jobdesk: created {args.role} token {args.name!r} in {db_path}; it is shown only "
        f"once. Give it to the program as ${options.TOKEN_ENV}.",
        file=sys.stderr,
    )
    return 0
