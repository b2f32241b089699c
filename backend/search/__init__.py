"""Finding any object of a tenant and mode by one of its ids, for the operations room's search."""
