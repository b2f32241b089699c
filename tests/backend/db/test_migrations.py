"""The schema comes only from Alembic migrations, and they match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from backend.db.engine import open_database
from backend.db.migrate import upgrade


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
