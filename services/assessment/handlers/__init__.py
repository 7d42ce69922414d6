"""Application layer of the assessment service, one module per aggregate: each handler takes
`(command, uow, ctx)`, loads what the domain needs, lets it decide, appends, projects and
commits. The route opens the unit of work; nothing else in the request path commits."""
