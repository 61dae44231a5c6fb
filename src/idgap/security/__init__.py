"""Edge defences shared by the API and the web UI: throttling, input screening, headers."""
