"""Browser tests of the operations room (the whole app, one port, real Chromium)."""
