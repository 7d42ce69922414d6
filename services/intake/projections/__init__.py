"""Read models of the intake service, written in the unit of work that appends the events
they reflect: `tables` (the schema, made by `migrations/`), `projector` (events to rows, one
function per event type), `rows` (lookups the handlers and routes make), `queries` (what the
API shows)."""
