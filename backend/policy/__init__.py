"""Per-tenant policy: the rules an intent is judged by, published as immutable numbered versions."""
