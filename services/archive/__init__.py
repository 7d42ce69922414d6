"""CareLedger archive service."""
