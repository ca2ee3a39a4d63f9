"""The device's SQLite store: orders, the view the screens read, the outbox, sync state.

Plain Python (stdlib ``sqlite3`` and msgspec): runs natively and in Pyodide alike.
"""

from mobile.store.database import OrderNotFound, ResultCounts, Store
from mobile.store.records import (
    ListCursor,
    LocalChange,
    OrderDetail,
    OrderList,
    OrderListItem,
    PulledChange,
    PulledPage,
    RejectedMutation,
    StatusCounts,
    StoredConflict,
)

__all__ = [
    "ListCursor",
    "LocalChange",
    "OrderDetail",
    "OrderList",
    "OrderListItem",
    "OrderNotFound",
    "PulledChange",
    "PulledPage",
    "RejectedMutation",
    "ResultCounts",
    "StatusCounts",
    "Store",
    "StoredConflict",
]
