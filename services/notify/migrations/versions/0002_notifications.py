"""Notify subscriptions and the durable delivery queue.

`subscriptions` holds each endpoint with its webhook secret sealed (the stored token of the
`notify.subscription.created` event); `deliveries` holds one row per notification and endpoint,
written in the transaction of the event that caused it, until it is delivered or given up.

Revision ID: notify_0002
Revises: notify_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "notify_0002"
down_revision = "notify_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("agency", sa.Text),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("event_types", ARRAY(sa.Text), nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("secret_token", JSONB),
        sa.Column("created_event_id", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("channel IN ('webhook', 'email')", name="subscriptions_channel"),
    )
    op.create_index("subscriptions_organisation", "subscriptions", ["organisation"])
    op.create_table(
        "deliveries",
        sa.Column("notification_id", sa.Text, primary_key=True),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("source_event_id", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'failed', 'cancelled')", name="deliveries_state"
        ),
    )
    op.create_index(
        "deliveries_pending",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where="state = 'pending'",
    )
    op.create_index("deliveries_subscription", "deliveries", ["subscription_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
