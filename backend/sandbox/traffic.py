"""What the sandbox traffic generator sends next: seeded, repeatable intents that look like a
real book of business.

The n-th intent of a tenant's traffic depends only on (seed, n) and the tenant's accounts, so a
rehearsal can be replayed exactly. The mix: card payments to merchants (half), card
authorizations (a fifth), transfers between customers and merchant payouts to bank accounts;
amounts mostly small, one in fifty over the demo's review threshold and a few over its dual
approval threshold; corridors plausible for each currency.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from backend.money.currencies import exponent

KIND_WEIGHTS = (("payment", 50), ("card_authorization", 20), ("transfer", 15), ("payout", 15))
CORRIDORS = {
    "USD": ("US-US", "US-GB", "US-MX", "US-CA"),
    "EUR": ("DE-DE", "DE-FR", "FR-ES", "NL-DE"),
    "GBP": ("GB-GB", "GB-IE", "GB-DE"),
    "JPY": ("JP-JP", "JP-US", "JP-SG"),
}
DEFAULT_CORRIDORS = ("US-US",)
# (share of intents, low, high) in dollar-like units: most small, a few needing review, rare dual
# approval; `SCALE` brings other currencies to comparable value (a yen is about a cent).
AMOUNT_BANDS = ((0.90, 5, 300), (0.08, 300, 1_200), (0.015, 1_200, 9_000), (0.005, 10_000, 15_000))
SCALE = {"JPY": 100}
PAYEES = ("Northfield Supplies Ltd", "Atlas Freight GmbH", "Blue Harbor Cafe", "Lumen Studio SARL", "Kestrel Logistics", "Orchid Textiles KK", "Pinecrest Dental", "Riverside Books")
CARD_NETWORKS = ("visa", "mastercard", "amex")


@dataclass(frozen=True)
class Book:
    """One currency's accounts that traffic moves money between."""

    currency: str
    customers: tuple[str, ...]
    merchants: tuple[str, ...]


def next_intent(seed: int, sequence: int, books: list[Book]) -> dict:
    """The body of the `sequence`-th intent (a `POST /v1/runtime/intents` body), or a
    `ValueError` when there is no book with both customers and merchants to draw from."""
    usable = [book for book in books if book.customers and book.merchants]
    if not usable:
        raise ValueError("sandbox traffic needs customer and merchant accounts in at least one currency")
    rng = random.Random(f"{seed}:{sequence}")
    book = rng.choice(sorted(usable, key=lambda b: b.currency))
    kind = rng.choices([k for k, _ in KIND_WEIGHTS], weights=[w for _, w in KIND_WEIGHTS])[0]
    body = {
        "intent_id": f"intent_sbx_{seed}_{sequence}",
        "kind": kind,
        "amount_minor": _amount(rng, book.currency),
        "currency": book.currency,
        "corridor": rng.choice(CORRIDORS.get(book.currency, DEFAULT_CORRIDORS)),
        "scope": "sandbox_traffic",
    }
    return {**body, **_parties(rng, kind, book)}


def _amount(rng: random.Random, currency: str) -> int:
    """Minor units: a band drawn by share, then a whole amount in it (cents for two decimals)."""
    band = rng.choices(AMOUNT_BANDS, weights=[share for share, _, _ in AMOUNT_BANDS])[0]
    unit = 10 ** exponent(currency)
    major = rng.randint(band[1], band[2] - 1) * SCALE.get(currency, 1)
    return major * unit + (rng.randint(0, unit - 1) if unit > 1 else 0)


def _parties(rng: random.Random, kind: str, book: Book) -> dict:
    """Source, destination and counterparty for the kind."""
    customer, merchant = rng.choice(book.customers), rng.choice(book.merchants)
    if kind == "payment":
        return {"source": customer, "destination": merchant}
    if kind == "transfer":
        others = [c for c in book.customers if c != customer] or list(book.merchants)
        return {"source": customer, "destination": rng.choice(others)}
    if kind == "card_authorization":
        return {"source": customer, "destination": f"card:{rng.choice(CARD_NETWORKS)}", "counterparty": rng.choice(PAYEES)}
    payee = rng.choice(PAYEES)
    return {"source": merchant, "destination": f"bank:{rng.randrange(10**9, 10**10)}", "counterparty": payee}
