"""The HTTP API under /v1: a thin caller of the same service functions the operations room uses."""
