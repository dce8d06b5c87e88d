"""Jobs carry the columns the live set, claims and history are read by.

- ``version``: the fence of a write from any replica (``UPDATE ... WHERE version = v``).
- ``live``: in the server's memory (active, or finished recently); 0 once retention has
  moved it to the history, where it stays until the history keeps it no longer.
- ``priority``, ``created_at``, ``due_s``: the claim order on an index; ``due_s`` is set
  only for a waiting job (0 when queued, its retry time when retrying).
- ``finished_s``: when it finished, for the history's pruning.

Rows are filled from each job's JSON, a thousand at a time.

Revision ID: 0005
Revises: 0004
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_RANK = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}
_WAITING = ("queued", "retrying")


def _seconds(text: str | None) -> float | None:
    from jobdesk.protocol import parse_timestamp

    return None if text is None else parse_timestamp(text).timestamp()


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("live", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("priority", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("created_at", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("due_s", sa.Float, nullable=True))
        batch.add_column(sa.Column("finished_s", sa.Float, nullable=True))
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String),
        sa.column("data", sa.LargeBinary),
        sa.column("version", sa.Integer),
        sa.column("priority", sa.Integer),
        sa.column("created_at", sa.String),
        sa.column("due_s", sa.Float),
        sa.column("finished_s", sa.Float),
    )
    bind = op.get_bind()
    fill = (
        sa.update(jobs)
        .where(jobs.c.id == sa.bindparam("row_id"))
        .values(
            version=sa.bindparam("v"),
            priority=sa.bindparam("p"),
            created_at=sa.bindparam("c"),
            due_s=sa.bindparam("d"),
            finished_s=sa.bindparam("f"),
        )
    )
    after = ""
    while True:
        rows = bind.execute(
            sa.select(jobs.c.id, jobs.c.data)
            .where(jobs.c.id > after)
            .order_by(jobs.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        params = []
        for row_id, data in rows:
            job = json.loads(data)
            status = job.get("status")
            due = None
            if status in _WAITING:
                due = (_seconds(job.get("retryAt")) or 0.0) if status == "retrying" else 0.0
            params.append(
                {
                    "row_id": row_id,
                    "v": int(job.get("version", 0)),
                    "p": _RANK.get(job.get("priority", "MEDIUM"), 1),
                    "c": job.get("createdAt", ""),
                    "d": due,
                    "f": _seconds(job.get("finishedAt")),
                }
            )
        bind.execute(fill, params)
        after = rows[-1][0]
    op.create_index(
        "ix_jobs_claim",
        "jobs",
        ["job_type", "priority", "created_at", "id"],
        postgresql_where=sa.text("due_s IS NOT NULL"),
        sqlite_where=sa.text("due_s IS NOT NULL"),
    )
    op.create_index(
        "ix_jobs_live",
        "jobs",
        ["id"],
        postgresql_where=sa.text("live"),
        sqlite_where=sa.text("live"),
    )
    op.create_index("ix_jobs_created", "jobs", ["created_at", "id"])
    op.create_index("ix_jobs_finished", "jobs", ["finished_s"])


def downgrade() -> None:
    for name in ("ix_jobs_finished", "ix_jobs_created", "ix_jobs_live", "ix_jobs_claim"):
        op.drop_index(name, "jobs")
    op.execute("DELETE FROM jobs WHERE NOT live")
    with op.batch_alter_table("jobs") as batch:
        for column in ("finished_s", "due_s", "created_at", "priority", "live", "version"):
            batch.drop_column(column)
