"""events not yet relayed: a partial index the outbox relay reads its next batch from

Revision ID: 0006
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNPUBLISHED = sa.text("published_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_events_unpublished", "events", ["seq"], unique=False, sqlite_where=UNPUBLISHED, postgresql_where=UNPUBLISHED)


def downgrade() -> None:
    op.drop_index("ix_events_unpublished", table_name="events")
