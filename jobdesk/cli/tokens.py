"""``jobdesk token create|list|revoke``: bearer tokens, straight in the database file.

They work on the database file rather than through the API, so the very first token
(the operator's) can be made before anyone can authenticate; they also work while the
server runs, which looks tokens up on first use and drops revoked ones within a second.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.parser import Commands, Parser, add_commands, command
from jobdesk.cli.paths import DB_HELP, Database, database, default_db_path

ROLES = ("operator", "worker", "viewer")

CREATE_DESCRIPTION = """\
Create a token and print it once on stdout (only the token, so scripts can capture it).
The database keeps only its hash: store it now, it cannot be shown again.

Roles: operator (reads everything, acts on any job), worker (creates jobs, updates its
own), viewer (reads only). The name is who the server says did something: a worker's
name becomes the owner of the jobs it starts.

  export JOBDESK_TOKEN=$(jobdesk token create --role worker --name worker-1)
"""


LIST_DESCRIPTION = """\
List the tokens the server accepts: id, name, role and when each was created (never the
token itself: only its hash is kept). The id names a token for `jobdesk token revoke`.
"""

REVOKE_DESCRIPTION = """\
Revoke a token, by its name or its id (from `jobdesk token list`). A running server
refuses it within a second: REST requests answer 401 and its open WebSockets are closed
(1008). The name is then free for a new token.
"""


def register(commands: Commands[Parser]) -> None:
    group = command(
        commands, "token", "create, list and revoke bearer tokens", "Manage bearer tokens."
    )
    sub = add_commands(group, "token commands")
    create = command(sub, "create", "create a token and print it", CREATE_DESCRIPTION)
    create.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    create.add_argument(
        "--name", required=True, type=options.name, help="who uses it, e.g. worker-1"
    )
    create.add_argument("--db", type=database, help=DB_HELP)
    create.set_defaults(handler=run_create)

    listing = command(sub, "list", "list the tokens", LIST_DESCRIPTION)
    listing.add_argument("--db", type=database, help=DB_HELP)
    listing.set_defaults(handler=run_list)

    revoke = command(sub, "revoke", "revoke a token", REVOKE_DESCRIPTION)
    revoke.add_argument("token", metavar="NAME-or-ID", help="the token's name, or its id")
    revoke.add_argument("--db", type=database, help=DB_HELP)
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    from jobdesk.server.token_store import DuplicateName
    from jobdesk.server.tokens import create_token

    db_path: Database = args.db or default_db_path()
    with _database(db_path, "write"):
        try:
            token = create_token(db_path, args.role, args.name)
        except DuplicateName as exc:
            raise CliError(str(exc)) from None
    print(token, flush=True)
    print(
        f"jobdesk: created {args.role} token {args.name!r} in {db_path}; it is shown only "
        f"once. Give it to the program as ${options.TOKEN_ENV}.",
        file=sys.stderr,
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from jobdesk.server.tokens import list_tokens

    db_path: Database = args.db or default_db_path()
    with _database(db_path, "read"):
        records = list_tokens(db_path)
    if not records:
        print(f"jobdesk: no tokens in {db_path}", file=sys.stderr)
        return 0
    width = max(len(r.name) for r in records)
    print(f"{'ID':12}  {'NAME':{width}}  {'ROLE':8}  CREATED")
    for record in records:
        print(f"{record.id:12}  {record.name:{width}}  {record.role:8}  {record.created_at}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from jobdesk.server.tokens import revoke_token

    db_path: Database = args.db or default_db_path()
    with _database(db_path, "write"):
        revoked = revoke_token(db_path, args.token)
    if not revoked:
        raise CliError(f"no token named {args.token!r} or with that id in {db_path}")
    for record in revoked:
        print(
            f"jobdesk: revoked {record.role} token {record.name!r} ({record.id})", file=sys.stderr
        )
    return 0


@contextlib.contextmanager
def _database(db_path: Database, doing: str) -> Iterator[None]:
    """The database's own errors as one line naming the file."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (OSError, SQLAlchemyError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise CliError(f"cannot {doing} the database {db_path}: {reason}") from None
