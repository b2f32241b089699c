"""Webhooks out: endpoints per tenant and mode, Standard Webhooks signing, delivery from the
event stream with retries, and the record of every attempt."""
