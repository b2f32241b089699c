"""Tenants, modes and API keys: every object lives in exactly one tenant and mode."""
