"""CareLedger event backbone: envelope, registry, store, outbox, consumer, crypto, chain."""
