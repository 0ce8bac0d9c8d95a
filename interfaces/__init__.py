"""The interface layer: the CLI, the web chat and the HTTP API. Everything here sits above `qa` and `ingest`."""
