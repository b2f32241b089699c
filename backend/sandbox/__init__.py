"""Sandbox: the demo tenant and its seeded money state."""
