"""The double-entry ledger: accounts, postings (two-phase too), holds, reversals and balances."""
