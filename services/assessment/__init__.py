"""CareLedger assessment service."""
