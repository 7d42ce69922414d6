"""CareLedger intake service."""
