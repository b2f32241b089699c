"""Screening lists: loaded whole from CSV, one immutable version per load.

The CSV has a header row naming its columns, in any order: `name` (required), `aliases` (other
names of the same party, separated by `;`), `country` and `reference` (the list's own id for the
entry). Every line is checked before anything is written: a file with any bad line is refused
whole with a `validation_error` naming the first bad line (`param` `csv[7]`, the line number in
the file, header = 1) and listing up to ten, and nothing changes. Loading a name that exists
makes its next version; the previous versions and their entries stay, so every recorded match
still names the entry it matched.

Loading is compliance's control (`screening.manage`, a person: an API key is refused, as it is for
publishing a policy); `replace_list` is the same load for trusted callers such as the demo seed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.bulk import insert_rows
from backend.db.tables import ScreeningEntry, ScreeningList
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import optional_str, reject_unknown, required_str, storable_text
from backend.operators import roles
from backend.pagination import page
from backend.screening.names import normalise
from backend.tenancy.scope import Scope

COLUMNS = ("name", "aliases", "country", "reference")
LIMITS = {"name": 200, "aliases": 2000, "country": 64, "reference": 100}
ALIAS_SEPARATOR = ";"
MAX_ALIASES = 20
MAX_ENTRIES = 100_000
MAX_CSV_CHARS = 5_000_000
ERRORS_SHOWN = 10


@dataclass(frozen=True)
class ListedName:
    """One parsed CSV line."""

    line: int
    name: str
    aliases: tuple[str, ...]
    country: str | None
    reference: str | None


def parse_csv(text: str) -> list[ListedName]:
    """The entries of a list file, or a `validation_error` naming its bad lines (pure)."""
    storable_text(text, "csv")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        columns = _columns(header)
        entries, problems = [], []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            try:
                entries.append(_entry(reader.line_num, columns, fields))
            except ValueError as problem:
                problems.append((reader.line_num, str(problem)))
    except csv.Error as err:
        raise ZentraError("validation_error", f"line {reader.line_num}: the file is not valid CSV ({err})", f"csv[{reader.line_num}]") from None
    if problems:
        shown = "; ".join(f"line {line}: {why}" for line, why in problems[:ERRORS_SHOWN])
        more = f" (and {len(problems) - ERRORS_SHOWN} more)" if len(problems) > ERRORS_SHOWN else ""
        raise ZentraError("validation_error", f"{len(problems)} bad line(s), nothing was loaded: {shown}{more}", f"csv[{problems[0][0]}]")
    if not entries:
        raise ZentraError("validation_error", "the list has no entries: give at least one line after the header", "csv")
    if len(entries) > MAX_ENTRIES:
        raise ZentraError("validation_error", f"a list holds at most {MAX_ENTRIES} entries", "csv")
    return entries


def _columns(header: list[str] | None) -> list[str]:
    names = [h.strip().casefold() for h in header or []]
    if "name" not in names:
        raise ZentraError("validation_error", f"the first line must be a header naming the columns, with name and any of {', '.join(COLUMNS[1:])}", "csv[1]")
    for column in names:
        if column not in COLUMNS:
            raise ZentraError("validation_error", f"line 1: unknown column {column[:40]!r}; the columns are {', '.join(COLUMNS)}", "csv[1]")
        if names.count(column) > 1:
            raise ZentraError("validation_error", f"line 1: column {column} appears twice", "csv[1]")
    return names


def _entry(line: int, columns: list[str], fields: list[str]) -> ListedName:
    if len(fields) != len(columns):
        raise ValueError(f"{len(fields)} fields, the header has {len(columns)}")
    values = {column: field.strip() for column, field in zip(columns, fields)}
    for column, value in values.items():
        if len(value) > LIMITS[column]:
            raise ValueError(f"{column} is longer than {LIMITS[column]} characters")
    name = " ".join(values["name"].split())
    if not normalise(name):
        raise ValueError("name is empty" if not name else f"name {name[:40]!r} has no letters or digits to compare")
    aliases = tuple(dict.fromkeys(" ".join(a.split()) for a in values.get("aliases", "").split(ALIAS_SEPARATOR) if a.strip()))
    if len(aliases) > MAX_ALIASES:
        raise ValueError(f"more than {MAX_ALIASES} aliases")
    for alias in aliases:
        if len(alias) > LIMITS["name"] or not normalise(alias):
            raise ValueError(f"alias {alias[:40]!r} is longer than {LIMITS['name']} characters or has no letters or digits")
    return ListedName(line, name, aliases, values.get("country") or None, values.get("reference") or None)


def load_list(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """Load `body["csv"]` as the next version of list `body["name"]` (a person with
    `screening.manage` only), with its `screening.list_loaded` event."""
    reject_unknown(body, {"name", "source", "csv"})
    name = " ".join(required_str(body, "name", max_length=80).split())
    source = optional_str(body, "source", max_length=200) or "csv upload"
    text = body.get("csv")
    if not isinstance(text, str) or len(text) > MAX_CSV_CHARS:
        raise ZentraError("validation_error", f"csv must be the list file's text, at most {MAX_CSV_CHARS} characters", "csv")
    roles.require(scope.role, "screening.manage")
    return replace_list(session, scope, name, source, parse_csv(text), now)


def replace_list(session: Session, scope: Scope, name: str, source: str, entries: list[ListedName], now: datetime) -> dict:
    """Store `entries` as the next version of list `name`, whoever asks (callers check roles)."""
    latest = session.execute(select(func.max(ScreeningList.version)).where(*_scoped(scope), ScreeningList.name == name)).scalar_one()
    version = (latest or 0) + 1
    row = ScreeningList(id=new_id("scl"), tenant_id=scope.tenant_id, mode=scope.mode, name=name, source=source, version=version, entry_count=len(entries), loaded_at=now, loaded_by=scope.actor)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ZentraError("invalid_state_transition", f"version {version} of list {name!r} was loaded at the same moment; load it again", "name") from None
    insert_rows(session.connection(), ScreeningEntry.__table__, [_entry_row(row.id, e) for e in entries])
    shown = view(row)
    record(session, scope, [PendingEvent("screening.list_loaded", row.id, shown, now)])
    return {**shown, "event": "screening.list_loaded"}


def _entry_row(list_id: str, entry: ListedName) -> dict:
    aliases = [{"name": a, "normalised": normalise(a)} for a in entry.aliases]
    return {
        "id": new_id("sce"),
        "list_id": list_id,
        "line": entry.line,
        "name": entry.name,
        "normalised": normalise(entry.name),
        "aliases_json": orjson.dumps(aliases).decode(),
        "country": entry.country,
        "reference": entry.reference,
    }


def _scoped(scope: Scope) -> tuple:
    return ScreeningList.tenant_id == scope.tenant_id, ScreeningList.mode == scope.mode


def current_lists(session: Session, scope: Scope) -> list[ScreeningList]:
    """The latest version of every list in `scope`, by name: what intents are screened against."""
    latest = select(ScreeningList.name, func.max(ScreeningList.version).label("version")).where(*_scoped(scope)).group_by(ScreeningList.name).subquery()
    query = select(ScreeningList).join(latest, (ScreeningList.name == latest.c.name) & (ScreeningList.version == latest.c.version)).where(*_scoped(scope)).order_by(ScreeningList.name)
    return list(session.execute(query).scalars())


def entry_rows(session: Session, list_id: str) -> list[ScreeningEntry]:
    return list(session.execute(select(ScreeningEntry).where(ScreeningEntry.list_id == list_id).order_by(ScreeningEntry.line)).scalars())


def view(row: ScreeningList) -> dict:
    return {
        "id": row.id,
        "object": "screening_list",
        "name": row.name,
        "source": row.source,
        "version": row.version,
        "entry_count": row.entry_count,
        "loaded_at": to_iso(row.loaded_at),
        "loaded_by": row.loaded_by,
    }


def entry_view(entry: ScreeningEntry) -> dict:
    aliases = [a["name"] for a in orjson.loads(entry.aliases_json)]
    return {"id": entry.id, "line": entry.line, "name": entry.name, "aliases": aliases, "country": entry.country, "reference": entry.reference}


def list_lists(session: Session, scope: Scope, *, name: str | None = None, limit: int = 25, offset: int = 0) -> dict:
    """The current version of every list, by name; with `name`, every version of that list,
    newest first."""
    if name is None:
        rows = current_lists(session, scope)
        return page([view(r) for r in rows[offset : offset + limit]], len(rows), limit, offset)
    where = (*_scoped(scope), ScreeningList.name == name)
    total = session.execute(select(func.count()).select_from(ScreeningList).where(*where)).scalar_one()
    rows = session.execute(select(ScreeningList).where(*where).order_by(ScreeningList.version.desc()).limit(limit).offset(offset)).scalars().all()
    return page([view(r) for r in rows], total, limit, offset)


def get_list(session: Session, scope: Scope, list_id: str, *, limit: int = 25, offset: int = 0) -> dict:
    """One list version with a page of its entries, in file order."""
    row = session.get(ScreeningList, list_id)
    if row is None or (row.tenant_id, row.mode) != (scope.tenant_id, scope.mode):
        raise ZentraError("not_found", f"no screening list {list_id!r}", object_id=list_id)
    where = ScreeningEntry.list_id == row.id
    rows = session.execute(select(ScreeningEntry).where(where).order_by(ScreeningEntry.line).limit(limit).offset(offset)).scalars().all()
    return {**view(row), "entries": page([entry_view(e) for e in rows], row.entry_count, limit, offset)}
