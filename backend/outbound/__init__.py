"""Outbound HTTP: kept-alive HTTP/1.1 connections for the runtime's own requests (webhook deliveries,
submissions to providers, the sandbox providers' callbacks)."""
