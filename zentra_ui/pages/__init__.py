"""One module per page of the operations room."""
