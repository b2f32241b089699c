"""Operators: people who sign in to the operations room, their roles per tenant, their sessions,
and the one entry point (`actions`) every operator action and its audit record go through."""
