"""Token names are unique: a name is who the server says did something (a worker's jobs
are owned by its name), so two tokens of one name would be one identity with two keys.

A database that already holds two tokens of one name keeps them (refusing to start
would lock everyone out); the index is then left out and a warning names them, and
`jobdesk token create` refuses new duplicates either way.

Revision ID: 0003
Revises: 0002
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    shared = (
        op.get_bind()
        .execute(sa.text("SELECT name FROM tokens GROUP BY name HAVING COUNT(*) > 1"))
        .scalars()
        .all()
    )
    if shared:
        logging.getLogger("jobdesk.server.db").warning(
            "several tokens share the names %s: revoke the extra ones "
            "(jobdesk token list, jobdesk token revoke ID)",
            ", ".join(sorted(shared)),
        )
        return
    op.create_index("ux_tokens_name", "tokens", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_tokens_name", "tokens")
