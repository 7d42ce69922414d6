"""Notify's background loops, each with its own lifecycle: `scheduler` (fires clocks),
`dispatcher` (drains the delivery queue) and the `senders` it uses (webhook, e-mail)."""
