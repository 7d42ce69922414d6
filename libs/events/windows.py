"""Reading rows in commit order: windows between two snapshots.

Identity values (outbox ids, event positions) are handed out when a row is inserted, not when
its transaction commits, so a row can become visible after rows with higher ids. A reader that
moves a cursor over ids would pass such a late row by (and never return it), or return it
after rows written in reaction to it. So readers go in windows, as PgQ does: a window holds
the rows of the transactions that committed between a low and a high snapshot, and is read in
id order. A row written once another had committed is in the same window with a higher id, or
in a later window: readers see causes before effects, and nothing committed late is missed.

Each row records the transaction that wrote it (`xid`, an xid8; migration 0004 of the store).
"""

from dataclasses import dataclass

# The high snapshot, taken now unless the window already has one. Parameters: $1 low snapshot
# (text; NULL for the first window: every row visible in the high one), $2 high snapshot (text;
# NULL: now), $3 the last id taken from this window, $4 how many rows at most.
HIGH = "(SELECT COALESCE($2::text::pg_snapshot, pg_current_snapshot()) AS high) w"
IN_WINDOW = (
    "pg_visible_in_snapshot(xid, w.high) AND ($1::text IS NULL OR "
    "(xid >= pg_snapshot_xmin($1::text::pg_snapshot) "
    "AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)))"
)


def window_sql(columns: str, table: str, order: str, where: str = "TRUE") -> str:
    """A statement returning the high snapshot (`high`) and the window's next rows (NULL
    columns when there is none) in `order`, the table's identity column."""
    # Names come from this package's constants, never from input.
    return (
        f"SELECT w.high::text AS high, r.* FROM {HIGH} LEFT JOIN LATERAL ("  # noqa: S608
        f"SELECT {columns} FROM {table} WHERE {where} AND {order} > $3 AND {IN_WINDOW} "
        f"ORDER BY {order} LIMIT $4) r ON true ORDER BY r.{order}"
    )


@dataclass(frozen=True)
class Window:
    """Where a reader stands: the rows committed between `low` and `high` (snapshots as
    PostgreSQL prints them; `low` None: every row visible in `high`), after id `last`; when
    `drained`, the next read opens the window from `high` to the snapshot of that read."""

    low: str | None = None
    high: str | None = None
    last: int = 0
    drained: bool = False

    def parameters(self, limit: int) -> tuple[str | None, str | None, int, int]:
        """$1..$4 of `window_sql` for the next read."""
        if self.drained:
            return (self.high, None, 0, limit)
        return (self.low, self.high, self.last, limit)

    def after(self, high: str, ids: list[int], limit: int) -> "Window":
        """Where the reader stands after a read that returned rows with `ids` (in order)."""
        low, _, last, _ = self.parameters(limit)
        return Window(low, high, ids[-1] if ids else last, len(ids) < limit)

    def __str__(self) -> str:
        return f"{self.low or ''}/{self.high or ''}/{self.last}/{int(self.drained)}"

    @classmethod
    def parse(cls, text: str) -> "Window":
        """The window `str()` printed (a cursor a client may hand back)."""
        low, high, last, drained = text.split("/")
        return cls(low or None, high or None, int(last), drained == "1")
