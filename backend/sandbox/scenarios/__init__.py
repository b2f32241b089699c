"""Failure scenarios rehearsed against a running instance over its public HTTP API."""
