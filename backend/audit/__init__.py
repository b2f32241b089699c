"""The audit chain: every mutation, operator action and denied attempt, hash-chained per tenant."""
