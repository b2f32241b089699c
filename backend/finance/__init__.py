"""What finance watches: state volume over time, webhook health, review backlog and holds by time
to expiry, each read for one tenant and mode over a time window, and exported as CSV."""
