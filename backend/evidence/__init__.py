"""Evidence packets: an object's records, the audit chain links that prove them, and an ed25519
signature, checkable offline by `zentra verify`."""
