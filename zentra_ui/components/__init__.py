"""Shared components: the shell and small building blocks."""
