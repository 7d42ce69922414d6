"""Read models of the assessment service: `tables` (SQLAlchemy Core), `projector*` (events to
rows, in the unit of work that appends them), `queries*` (typed readers the API returns)."""
