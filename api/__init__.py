"""claimdb's HTTP API, its services and its command line."""
