"""Idempotency keys: a retried POST returns the first answer instead of acting twice.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("job", sa.LargeBinary, nullable=False),
        sa.Column("created_s", sa.Float, nullable=False),
    )
    op.create_index("ix_idempotency_created", "idempotency", ["created_s"])


def downgrade() -> None:
    op.drop_table("idempotency")
