"""CareLedger referral service."""
