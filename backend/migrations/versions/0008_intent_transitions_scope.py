"""intent transitions carry their intent's scope, currency and amount, indexed by time: state
volume over time (the finance room) is one range scan

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COPIED = {
    "tenant_id": sqlmodel.sql.sqltypes.AutoString(length=40),
    "mode": sqlmodel.sql.sqltypes.AutoString(length=10),
    "currency": sqlmodel.sql.sqltypes.AutoString(length=3),
    "amount_minor": sa.BigInteger(),
}


def upgrade() -> None:
    with op.batch_alter_table("intent_transitions", schema=None) as batch_op:
        for name, kind in COPIED.items():
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    for name in COPIED:
        op.execute(f"UPDATE intent_transitions SET {name} = (SELECT intents.{name} FROM intents WHERE intents.id = intent_transitions.intent_row_id)")
    with op.batch_alter_table("intent_transitions", schema=None) as batch_op:
        for name, kind in COPIED.items():
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_index("ix_intent_transitions_scope_at", ["tenant_id", "mode", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intent_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_intent_transitions_scope_at")
        for name in COPIED:
            batch_op.drop_column(name)
