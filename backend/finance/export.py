"""CSV of what a chart shows: its rows, in its columns, as the standard `csv` module writes them
(RFC 4180 quoting), amounts as integer minor units."""

from __future__ import annotations

import csv
import io


def to_csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def delivery_rows(health: dict) -> list[dict]:
    """`webhook_health` flattened to one row per endpoint and bucket, with its percentiles."""
    return [
        {"endpoint_id": e["endpoint_id"], "url": e["url"], **point, "p50_ms": e["p50_ms"], "p95_ms": e["p95_ms"], "p99_ms": e["p99_ms"]}
        for e in health["endpoints"]
        for point in e["series"]
    ]
