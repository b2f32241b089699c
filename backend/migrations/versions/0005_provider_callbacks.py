"""provider callbacks: registered providers with their signing secrets, and every callback received

Revision ID: 0005
Revises: 0003 (a branch beside the other issues' revisions; every head is applied)
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('providers',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('signing_secret', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('previous_secret', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('previous_secret_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('rotated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index('ix_providers_scope_created', ['tenant_id', 'mode', 'created_at'], unique=False)

    op.create_table('provider_callbacks',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('webhook_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('duplicate_of', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('sequence', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_provider_callbacks_received', ['provider_id', 'received_at'], unique=False)
        batch_op.create_index('ix_provider_callbacks_reference', ['provider_id', 'reference', 'sequence'], unique=False)
        batch_op.create_index('uq_provider_callbacks_first', ['provider_id', 'webhook_id'], unique=True, sqlite_where=sa.text('duplicate_of IS NULL'), postgresql_where=sa.text('duplicate_of IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('provider_callbacks', schema=None) as batch_op:
        batch_op.drop_index('uq_provider_callbacks_first', sqlite_where=sa.text('duplicate_of IS NULL'), postgresql_where=sa.text('duplicate_of IS NULL'))
        batch_op.drop_index('ix_provider_callbacks_reference')
        batch_op.drop_index('ix_provider_callbacks_received')

    op.drop_table('provider_callbacks')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index('ix_providers_scope_created')

    op.drop_table('providers')
