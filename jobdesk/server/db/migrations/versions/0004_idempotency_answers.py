"""Idempotency records keep the answer a retry gets, not a job snapshot.

The old rows held each answered job whole (its log included) for 24 hours, under keys
scoped by caller and job only. They are dropped: their only use is a retry arriving
during the upgrade itself, and their keys mean something else now.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("idempotency")
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_s", sa.Float, nullable=False),
    )
    op.create_index("ix_idempotency_created", "idempotency", ["created_s"])


def downgrade() -> None:
    op.drop_table("idempotency")
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("job", sa.LargeBinary, nullable=False),
        sa.Column("created_s", sa.Float, nullable=False),
    )
    op.create_index("ix_idempotency_created", "idempotency", ["created_s"])
