"""Notify's read models and delivery queue: `tables` (SQLAlchemy Core), `projector` (events as
rows), `queries` (readers), `queue` (deliveries waiting to be sent)."""
