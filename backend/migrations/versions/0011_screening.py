"""compliance screening: customers with their KYC status, screening lists and their entries,
and the matches found on intents with compliance's decisions

Revision ID: 0011
Revises: 0010
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TIME = sqlmodel.sql.sqltypes.UTCDateTime


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("customer", _str(200), nullable=False),
        sa.Column("name", _str(200), nullable=False),
        sa.Column("kyc_status", _str(16), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("updated_by", _str(80), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "mode", "customer", name="uq_customers_customer"),
    )
    op.create_table(
        "screening_lists",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("name", _str(80), nullable=False),
        sa.Column("source", _str(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", TIME(), nullable=False),
        sa.Column("loaded_by", _str(80), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "mode", "name", "version", name="uq_screening_lists_version"),
    )
    op.create_table(
        "screening_entries",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("list_id", _str(40), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("name", _str(200), nullable=False),
        sa.Column("normalised", _str(200), nullable=False),
        sa.Column("aliases_json", sa.Text(), nullable=False),
        sa.Column("country", _str(64), nullable=True),
        sa.Column("reference", _str(100), nullable=True),
        sa.ForeignKeyConstraint(["list_id"], ["screening_lists.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screening_entries", schema=None) as batch_op:
        batch_op.create_index("ix_screening_entries_list", ["list_id", "line"], unique=False)
    op.create_table(
        "screening_results",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("intent_row_id", _str(40), nullable=False),
        sa.Column("intent_id", _str(80), nullable=False),
        sa.Column("list_id", _str(40), nullable=False),
        sa.Column("entry_id", _str(40), nullable=False),
        sa.Column("screened_name", _str(200), nullable=False),
        sa.Column("matched_name", _str(200), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("method", _str(8), nullable=False),
        sa.Column("decision", _str(10), nullable=False),
        sa.Column("decided_by", _str(80), nullable=True),
        sa.Column("decided_at", TIME(), nullable=True),
        sa.Column("note", _str(500), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["intent_row_id"], ["intents.id"]),
        sa.ForeignKeyConstraint(["list_id"], ["screening_lists.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["screening_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.create_index("ix_screening_results_intent", ["intent_row_id", "created_at"], unique=False)
        batch_op.create_index("ix_screening_results_scope_decision", ["tenant_id", "mode", "decision", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_results_scope_decision")
        batch_op.drop_index("ix_screening_results_intent")
    op.drop_table("screening_results")
    with op.batch_alter_table("screening_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_entries_list")
    op.drop_table("screening_entries")
    op.drop_table("screening_lists")
    op.drop_table("customers")
