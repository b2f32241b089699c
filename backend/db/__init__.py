"""Storage edge: tables, engines, transactions and migrations."""
