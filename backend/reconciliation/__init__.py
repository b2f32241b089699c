"""Reconciliation: provider settlement reports matched against the settlements the ledger
recorded, every mismatch an exception finance resolves, and matching as callbacks arrive."""
