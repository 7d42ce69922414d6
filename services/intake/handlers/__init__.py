"""Intake's application layer, one module per aggregate: `reports`, `children` (the registry,
categories, household), `cases`, `casework`, `staff`; `shared` reads and appends. A handler
`verb(command, uow, ctx)` loads the stream, asks the domain, appends with its read-model changes
and commits; the reactions use `shared` in the consumer's transaction and leave the commit to
it. The only code that appends intake's events."""
