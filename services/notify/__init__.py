"""CareLedger notify service."""
