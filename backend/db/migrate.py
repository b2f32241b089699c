"""Bring a database to the newest Alembic revision; every entry point calls this on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.db.engine import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = db.write
    return config


def upgrade(db: Database) -> None:
    """Apply every migration not yet applied (idempotent). `heads`: revisions written side by side
    (each issue's tables branch from the last merged revision) are all applied."""
    command.upgrade(alembic_config(db), "heads")
