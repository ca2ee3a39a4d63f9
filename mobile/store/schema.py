"""The device database: tables, indexes, connection settings and the order columns.

One SQLite file in WAL mode. An order is kept as two MessagePack documents: ``base`` (the
server's state as last pulled) and ``view`` (base with this device's pending mutations
replayed on top; NULL while it equals base), plus columns derived from the view for lists
and search. The columns are always computed by :func:`order_columns` from the encoded
view, in this one place.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from msgspec import Struct

#: bump when the tables change; :func:`connect` upgrades older files step by step
SCHEMA_VERSION = 1

#: sort key of orders with no ship-by yet (unpaid): after every dated one (9999-12-31, µs)
FAR_FUTURE_US = 253_402_214_400_000_000

_SCHEMA_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE orders (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    -- lower-cased number: a scanned or typed slip number matches case-insensitively
    number_key TEXT NOT NULL,
    status TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    -- lower-cased "number customer name": case-insensitive partial search
    search TEXT NOT NULL,
    -- ship-by in µs since the epoch, or FAR_FUTURE_US while unpaid: never NULL, so
    -- deadline order and keyset paging need no NULL handling
    due_key INTEGER NOT NULL,
    ship_by INTEGER,
    created_at INTEGER NOT NULL,
    item_count INTEGER NOT NULL,
    total_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    -- the server's change sequence of base
    version INTEGER NOT NULL,
    base BLOB NOT NULL,
    view BLOB,
    notes BLOB NOT NULL,
    view_notes BLOB,
    -- 1 when a pushed mutation of this order was rejected: rebuild the view after the pull
    stale INTEGER NOT NULL DEFAULT 0
);
-- Lists walk these in deadline order and test ``search`` inside the index, so a search
-- never touches the wide rows except for the page it returns.
CREATE INDEX ix_orders_due ON orders (due_key, search);
CREATE INDEX ix_orders_status_due ON orders (status, due_key, search);
CREATE INDEX ix_orders_number ON orders (number_key);

CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    action TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_outbox_order ON outbox (order_id, seq);

CREATE TABLE rejected (
    mutation_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    action TEXT NOT NULL,
    body BLOB NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    rejected_at INTEGER NOT NULL,
    dismissed_at INTEGER
);
CREATE INDEX ix_rejected_order ON rejected (order_id);

CREATE TABLE conflicts (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    body BLOB NOT NULL,
    at INTEGER NOT NULL,
    dismissed_at INTEGER
);
CREATE INDEX ix_conflicts_order ON conflicts (order_id);
"""

_MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1}


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating or upgrading) the store file; transactions are explicit (autocommit)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    # Larger pages hold more of the ~1.5 KB order documents per page: an initial sync
    # writes a third fewer pages. Only takes effect on a new, empty file.
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a power cut may lose the last commits but never corrupts the
    # file; the outbox survives any crash of the app itself (SIGKILL included).
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -16000")
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the device store is from a newer app (schema {version} > {SCHEMA_VERSION})"
        )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        # One transaction per step: a crash mid-upgrade leaves the previous version intact.
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{_MIGRATIONS[step]}\nPRAGMA user_version = {step};\nCOMMIT;"
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


# ------------------------------------------------------------------ order columns


# gc=False: thousands of these are made per pulled page and dropped at once; left out of
# the garbage collector's bookkeeping they cannot trigger its (costly) full passes.
class _Name(Struct, gc=False):
    name: str = ""


class _LineQuantity(Struct, gc=False):
    quantity: int = 0
    removed: bool = False


class _Columns(Struct, kw_only=True, gc=False):
    """The fields of an encoded ``Order`` that the list columns need (the rest is skipped)."""

    id: str
    number: str
    status: str
    customer: _Name
    lines: list[_LineQuantity] = []
    currency: str = "USD"
    total_minor: int = 0
    created_at: datetime
    ship_by: datetime | None = None
    carrier: str = ""
    tracking_number: str = ""
    version: int = 0


_columns_decoder = msgspec.msgpack.Decoder(_Columns)


def micros(moment: datetime) -> int:
    """A timezone-aware moment as whole microseconds since the epoch (exact, sortable)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """The UTC moment of :func:`micros`."""
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: the columns :func:`order_columns` fills, in its order
COLUMN_NAMES = (
    "id",
    "number",
    "number_key",
    "status",
    "customer_name",
    "search",
    "due_key",
    "ship_by",
    "created_at",
    "item_count",
    "total_minor",
    "currency",
    "carrier",
    "tracking_number",
)


def order_columns(doc: bytes | msgspec.Raw) -> tuple[tuple[object, ...], int]:
    """The list/search columns of an encoded order (see :data:`COLUMN_NAMES`) and its version."""
    c = _columns_decoder.decode(doc)
    ship_by = micros(c.ship_by) if c.ship_by is not None else None
    name = c.customer.name
    return (
        c.id,
        c.number,
        c.number.lower(),
        c.status,
        name,
        f"{c.number} {name}".lower(),
        FAR_FUTURE_US if ship_by is None else ship_by,
        ship_by,
        micros(c.created_at),
        sum(line.quantity for line in c.lines if not line.removed),
        c.total_minor,
        c.currency,
        c.carrier,
        c.tracking_number,
    ), c.version
