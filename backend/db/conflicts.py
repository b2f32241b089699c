"""`INSERT … ON CONFLICT` for the session's database: SQLite and PostgreSQL each have their own
insert construct with `on_conflict_do_nothing`; callers that race to create one row use this."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_for(session: Session, model):
    """The INSERT construct of the session's dialect for `model`."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
