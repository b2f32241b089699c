"""Reflex state classes of the operations room. Backend code never imports from here."""
