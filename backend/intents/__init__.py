"""Financial intents: one request followed from `accepted` to `evidenced`, through policy, the
ledger, a provider and the evidence chain."""
