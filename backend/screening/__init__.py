"""Compliance screening: customers' KYC status, screening lists loaded from CSV, matching an
intent's counterparty against them, and compliance's decisions on the matches."""
