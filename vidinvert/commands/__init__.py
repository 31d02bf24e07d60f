"""One module per CLI command; each holds a click command that calls the API."""
