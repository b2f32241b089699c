"""Bulk writes as few statements as the database allows.

psycopg's `executemany` sends one statement per row, and SQLAlchemy compiles a multi-row INSERT
afresh for every row count, so on PostgreSQL rows go in through COPY (psycopg encodes rows in C)
and balances through one `UPDATE … FROM (VALUES …)`. SQLite runs in-process, where `executemany`
is already the cheapest form. Both run on the session's connection, inside its transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, bindparam, update

CHUNK_ROWS = 1000  # keeps each UPDATE far below PostgreSQL's 65,535 bind parameters
TOTALS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (each with the same keys) into `table`."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    names = list(rows[0])
    with conn.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[n] for n in names])


def update_totals(conn: Connection, table: Table, rows: list[tuple[str, int, int, int, int]]) -> None:
    """Set the four balance totals of each `(id, debits_posted, credits_posted, debits_pending,
    credits_pending)` row."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({n: bindparam(f"b_{n}") for n in TOTALS})
        conn.execute(stmt, [{"b_id": r[0], **{f"b_{n}": v for n, v in zip(TOTALS, r[1:])}} for r in rows])
        return
    assignments = ", ".join(f"{n} = v.{n}" for n in TOTALS)
    with conn.connection.dbapi_connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            placeholders = ", ".join(["(%s, %s::bigint, %s::bigint, %s::bigint, %s::bigint)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table.name} SET {assignments} FROM (VALUES {placeholders}) AS v(id, {', '.join(TOTALS)}) WHERE {table.name}.id = v.id",
                [value for row in chunk for value in row],
            )


def add_to_totals(conn: Connection, table: Table, rows: list[tuple[str, int, int, int, int]]) -> None:
    """Add each `(id, debits_posted, credits_posted, debits_pending, credits_pending)` change to
    the row's totals, one row after another in the order given (the caller's lock order)."""
    if not rows:
        return
    stmt = update(table).where(table.c.id == bindparam("b_id")).values({n: table.c[n] + bindparam(f"b_{n}") for n in TOTALS})
    conn.execute(stmt, [{"b_id": r[0], **{f"b_{n}": v for n, v in zip(TOTALS, r[1:])}} for r in rows])


def update_by_id(conn: Connection, table: Table, columns: dict[str, str], rows: list[tuple]) -> None:
    """Set `columns` (name -> PostgreSQL type) of each `(id, *values)` row of `table`."""
    if not rows:
        return
    names = list(columns)
    if conn.dialect.name != "postgresql":
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({n: bindparam(f"b_{n}") for n in names})
        conn.execute(stmt, [{"b_id": r[0], **{f"b_{n}": v for n, v in zip(names, r[1:])}} for r in rows])
        return
    assignments = ", ".join(f"{n} = v.{n}" for n in names)
    row_sql = "(" + ", ".join(["%s::bigint"] + [f"%s::{columns[n]}" for n in names]) + ")"
    with conn.connection.dbapi_connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            cursor.execute(
                f"UPDATE {table.name} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v(id, {', '.join(names)}) WHERE {table.name}.id = v.id",
                [value for row in chunk for value in row],
            )
