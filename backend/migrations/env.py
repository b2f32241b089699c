"""Alembic environment: runs migrations on the engine handed over by `backend.db.migrate`."""

from alembic import context
from sqlmodel import SQLModel

import backend.db.tables  # noqa: F401  (registers every table on SQLModel.metadata)

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
