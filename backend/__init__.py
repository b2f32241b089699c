"""Zentra's money runtime: framework-free domain rules with storage and transport at the edges."""
