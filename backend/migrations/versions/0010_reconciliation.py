"""reconciliation: expected settlements, imported provider reports, matches and exceptions

Revision ID: 0010
Revises: 0009
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _runs() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("provider_id", _str(40), nullable=False),
        sa.Column("source", _str(12), nullable=False),
        sa.Column("file_name", _str(200), nullable=True),
        sa.Column("file_sha256", _str(64), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("tolerance_days", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("exception_count", sa.Integer(), nullable=False),
        sa.Column("match_rate_bp", sa.Integer(), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False),
        sa.Column("created_by", _str(80), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reconciliation_runs", schema=None) as batch_op:
        batch_op.create_index("ix_recon_runs_scope_created", ["tenant_id", "mode", "created_at"], unique=False)
        batch_op.create_index("ix_recon_runs_scope_provider", ["tenant_id", "mode", "provider_id", "created_at"], unique=False)
        batch_op.create_index("uq_recon_runs_continuous_day", ["tenant_id", "mode", "provider_id", "period_start"], unique=True, sqlite_where=sa.text("source = 'continuous'"), postgresql_where=sa.text("source = 'continuous'"))


def _lines() -> None:
    op.create_table(
        "reconciliation_lines",
        sa.Column("run_id", _str(40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("reference", _str(64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", _str(3), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("counterparty", _str(200), nullable=True),
        sa.Column("outcome", _str(20), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["reconciliation_runs.id"]),
        sa.PrimaryKeyConstraint("run_id", "line_no"),
    )


def _settlements() -> None:
    op.create_table(
        "reconciliation_settlements",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("provider_id", _str(40), nullable=False),
        sa.Column("reference", _str(64), nullable=False),
        sa.Column("intent_id", _str(80), nullable=False),
        sa.Column("posting_id", _str(40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", _str(3), nullable=False),
        sa.Column("counterparty", _str(200), nullable=False),
        sa.Column("settled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("status", _str(10), nullable=False),
        sa.Column("matched_run_id", _str(40), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("posting_id", name="uq_recon_settlements_posting"),
    )
    with op.batch_alter_table("reconciliation_settlements", schema=None) as batch_op:
        batch_op.create_index("ix_recon_settlements_period", ["tenant_id", "mode", "provider_id", "value_date"], unique=False)
        batch_op.create_index("ix_recon_settlements_reference", ["provider_id", "reference"], unique=False)
        batch_op.create_index("ix_recon_settlements_new", ["recorded_at"], unique=False, sqlite_where=sa.text("status = 'new'"), postgresql_where=sa.text("status = 'new'"))


def _matches() -> None:
    op.create_table(
        "reconciliation_matches",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("run_id", _str(40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("settlement_id", _str(40), nullable=False),
        sa.Column("method", _str(16), nullable=False),
        sa.Column("group_no", sa.Integer(), nullable=False),
        sa.Column("matched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["reconciliation_runs.id"]),
        sa.ForeignKeyConstraint(["settlement_id"], ["reconciliation_settlements.id"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("reconciliation_matches", schema=None) as batch_op:
        batch_op.create_index("ix_recon_matches_run_line", ["run_id", "line_no"], unique=False)
        batch_op.create_index("ix_recon_matches_settlement", ["settlement_id"], unique=False)


def _exceptions() -> None:
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("id", _str(40), nullable=False),
        sa.Column("tenant_id", _str(40), nullable=False),
        sa.Column("mode", _str(10), nullable=False),
        sa.Column("run_id", _str(40), nullable=False),
        sa.Column("provider_id", _str(40), nullable=False),
        sa.Column("reason", _str(20), nullable=False),
        sa.Column("reference", _str(64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("settlement_id", _str(40), nullable=True),
        sa.Column("report_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("ledger_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", _str(3), nullable=False),
        sa.Column("detail", _str(500), nullable=False),
        sa.Column("status", _str(10), nullable=False),
        sa.Column("resolution", _str(20), nullable=True),
        sa.Column("resolved_by", _str(80), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("note", _str(500), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["reconciliation_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reconciliation_exceptions", schema=None) as batch_op:
        batch_op.create_index("ix_recon_exceptions_scope_status", ["tenant_id", "mode", "status", "created_at"], unique=False)
        batch_op.create_index("ix_recon_exceptions_scope_reason", ["tenant_id", "mode", "reason", "status", "created_at"], unique=False)
        batch_op.create_index("ix_recon_exceptions_run", ["run_id", "status"], unique=False)
        batch_op.create_index("ix_recon_exceptions_reference", ["provider_id", "reference", "status"], unique=False)


def upgrade() -> None:
    _runs()
    _lines()
    _settlements()
    _matches()
    _exceptions()
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_mapping_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_column("report_mapping_json")
    op.drop_table("reconciliation_exceptions")
    op.drop_table("reconciliation_matches")
    op.drop_table("reconciliation_settlements")
    op.drop_table("reconciliation_lines")
    op.drop_table("reconciliation_runs")
