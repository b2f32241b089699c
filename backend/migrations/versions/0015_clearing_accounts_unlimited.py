"""the tenant's system (clearing) accounts carry no balance limit

Revision ID: 0015
Revises: 0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE accounts SET allow_negative = true WHERE system_role IS NOT NULL"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE accounts SET allow_negative = false WHERE system_role IS NOT NULL"))
