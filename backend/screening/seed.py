"""The demo tenant's screening: a small sanctions-style list and KYC statuses for the seed's
customers (`customer_<ccy>_<nn>`) and merchants (`merchant_<ccy>_<nn>`), through the same
services as the API. Every name is invented.

What it shows: most customers are `verified`; `customer_usd_05` is `rejected` (its intents are
refused, `kyc_rejected`) and `customer_eur_05` is `pending` (its intents wait in review,
`kyc_unverified`); merchant `merchant_gbp_02` is registered as "Wolkov Shipping Ltd", a fuzzy
match (score 95, by sound) of the list's "Volkov Shipping Limited", so payments to it wait in review
with the match shown (`screening_hit`) until compliance clears or confirms it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.screening import customers
from backend.screening.lists import ListedName, replace_list
from backend.tenancy.scope import Scope

DEMO_LIST = "Demo sanctions"
DEMO_SOURCE = "invented for the Zentra demo"
DEMO_ENTRIES = (
    ("Volkov Shipping Limited", ("Volkov Maritime",), "CY", "DEMO-001"),
    ("Ivan Petrova", (), "RU", "DEMO-002"),
    ("Muhammad al Rashid", ("Abu Rashid",), "AE", "DEMO-003"),
    ("Northwind Arms Trading FZE", ("Northwind Arms",), "AE", "DEMO-004"),
    ("Jonathan Smythe-Carver", (), "GB", "DEMO-005"),
    ("Golden Lotus Holdings", ("Golden Lotus Group",), "HK", "DEMO-006"),
    ("Catalina Oyelaran", (), "NG", "DEMO-007"),
    ("Blue Meridian Exchange", (), "PA", "DEMO-008"),
)
CURRENCIES = ("usd", "eur", "gbp", "jpy")
CUSTOMER_NAMES = ("Amara Okafor", "Lukas Brenner", "Sofia Marchetti", "Kenji Watanabe", "Chloe Dubois", "Ravi Menon")
MERCHANT_NAMES = ("Harbor Coffee Co", "Pixel Forge Studio", "Greenleaf Grocers")
# (customer, kyc status or name) exceptions to "verified" and the pools above.
KYC_EXCEPTIONS = {"customer_usd_05": "rejected", "customer_eur_05": "pending"}
NAME_EXCEPTIONS = {"merchant_gbp_02": "Wolkov Shipping Ltd"}


def seed_screening(session: Session, scope: Scope, now: datetime) -> None:
    """Load the demo list and register the seed's customers and merchants with their KYC."""
    entries = [ListedName(line, name, aliases, country, reference) for line, (name, aliases, country, reference) in enumerate(DEMO_ENTRIES, start=2)]
    replace_list(session, scope, DEMO_LIST, DEMO_SOURCE, entries, now)
    for ccy in CURRENCIES:
        for i, name in enumerate(CUSTOMER_NAMES):
            customer = f"customer_{ccy}_{i:02d}"
            customers.upsert_customer(session, scope, {"customer": customer, "name": name, "kyc_status": KYC_EXCEPTIONS.get(customer, "verified")}, now)
        for i, name in enumerate(MERCHANT_NAMES):
            merchant = f"merchant_{ccy}_{i:02d}"
            customers.upsert_customer(session, scope, {"customer": merchant, "name": NAME_EXCEPTIONS.get(merchant, name), "kyc_status": "verified"}, now)
