"""The schema comes only from Alembic migrations, and they match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from backend.db.engine import open_database
from backend.db.migrate import alembic_config, upgrade


def test_migrations_create_exactly_the_models_schema(runtime):
    with runtime.db.write.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent_on_a_fresh_sqlite_file(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(db)
    upgrade(db)
    with db.read.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    db.dispose()


def test_0008_copies_each_transitions_scope_currency_and_amount_from_its_intent(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(db), "0007")
    with db.write.begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('ten_1', 'T', '2026-11-21 00:00:00')"))
        conn.execute(text(
            "INSERT INTO intents (id, tenant_id, mode, intent_id, kind, status, amount_minor, currency, source_account_id, destination, counterparty, corridor,"
            " scope_label, money_model, primitives_json, created_by, created_role, decision_json, postings_json, routing_json, revision, created_at, updated_at)"
            " VALUES ('int_1', 'ten_1', 'sandbox', 'intent_1', 'payment', 'accepted', 4200, 'EUR', 'acct_1', 'acct_2', 'M', '*', 'default', 'm', '[]', 'a', 'r', '{}', '[]', '[]', 1,"
            " '2026-11-21 00:00:00', '2026-11-21 00:00:00')"
        ))
        conn.execute(text("INSERT INTO intent_transitions (intent_row_id, to_state, event_type, actor, at) VALUES ('int_1', 'accepted', 'intent.accepted', 'a', '2026-11-21 00:00:00')"))
    upgrade(db)
    with db.read.connect() as conn:
        row = conn.execute(text("SELECT tenant_id, mode, currency, amount_minor FROM intent_transitions")).one()
    assert tuple(row) == ("ten_1", "sandbox", "EUR", 4200)
    db.dispose()
