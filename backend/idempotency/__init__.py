"""Idempotent mutations: one key, one effect, the first answer replayed byte for byte."""
