"""The public JSON shapes of ledger objects, shared by the HTTP API, events and the UI."""

from __future__ import annotations

import json
from typing import Any, Mapping

from backend.clock import to_iso
from backend.ledger.balances import AccountBalance


def account(row: Any, balance: AccountBalance) -> dict:
    return {
        "id": row.id,
        "object": "account",
        "mode": row.mode,
        "customer": row.customer,
        "currency": row.currency,
        "account_type": row.account_type,
        "normal_balance": row.normal_balance,
        "allow_negative": row.allow_negative,
        "status": row.status,
        "system_role": row.system_role,
        "created_at": to_iso(row.created_at),
        "balances": balance.as_dict(),
    }


def _entry(e: Mapping) -> dict:
    return {"account": e["account_id"], "direction": e["direction"], "bucket": e["bucket"], "amount_minor": e["amount_minor"]}


def _sides(entries: list[Mapping], direction: str) -> str | list[str]:
    """The account on one side, or the list of them when a multi-leg posting has several."""
    accounts: list[str] = []
    for e in entries:
        if e["direction"] == direction and e["account_id"] not in accounts:
            accounts.append(e["account_id"])
    return accounts[0] if len(accounts) == 1 else accounts


def posting(row: Mapping, entries: list[Mapping], pending: Mapping | None = None) -> dict:
    """A posting with its journal entries and the evidence that identifies it.

    `status` is `posted` for everything but a pending posting, whose lifecycle row decides it.
    """
    status = pending["status"] if pending is not None else "posted"
    metadata = row.get("metadata_json")
    return {
        "posting_id": row["id"],
        "object": "posting",
        "kind": row["kind"],
        "status": status,
        "currency": row["currency"],
        "amount_minor": row["amount_minor"],
        "pending": row["kind"] == "pending",
        "expires_at": to_iso(pending["expires_at"]) if pending is not None else None,
        "posted_amount_minor": pending.get("posted_amount_minor") if pending is not None else None,
        "resolution_posting_id": pending.get("resolution_posting_id") if pending is not None else None,
        "pending_posting_id": row.get("pending_posting_id"),
        "reverses_posting_id": row.get("reverses_posting_id"),
        "correlation_id": row.get("correlation_id"),
        "description": row.get("description"),
        "reason": row.get("reason"),
        "metadata": json.loads(metadata) if metadata else {},
        "created_at": to_iso(row["created_at"]),
        "entries": [_entry(e) for e in entries],
        "evidence": {
            "debit_account": _sides(entries, "debit"),
            "credit_account": _sides(entries, "credit"),
            "minor_units": row["amount_minor"],
            "posting_id": row["id"],
            "correlation_id": row.get("correlation_id"),
            "entry_hash": row["entry_hash"],
        },
    }


def hold(row: Any, actions: list[Any] | None = None) -> dict:
    view = {
        "id": row.id,
        "object": "hold",
        "account": row.account_id,
        "currency": row.currency,
        "amount_minor": row.amount_minor,
        "captured_minor": row.captured_minor,
        "status": row.status,
        "reason": row.reason,
        "source_request": row.source_request,
        "expires_at": to_iso(row.expires_at),
        "posting_id": row.posting_id,
        "created_at": to_iso(row.created_at),
        "updated_at": to_iso(row.updated_at),
    }
    if actions is not None:
        view["history"] = [
            {
                "action": a.action,
                "amount_minor": a.amount_minor,
                "reason": a.reason,
                "source_request": a.source_request,
                "expires_at": to_iso(a.expires_at),
                "posting_id": a.posting_id,
                "at": to_iso(a.at),
            }
            for a in actions
        ]
    return view
