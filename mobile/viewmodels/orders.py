"""The order list, from the device store only: status chips with counts, instant search,
ship-by badges, "waiting to sync" marks, lazy paging, scans — and the first sync's progress.

On a tablet or desk it is also the dashboard: orders can be selected for bulk actions
(:mod:`mobile.viewmodels.bulk`), the current filter exported as CSV
(:mod:`mobile.viewmodels.export`), and orders new to this device that a sync brought
announced in a banner.

Every read is a local SQLite query (milliseconds, also offline); the list follows the
store: a local change or pulled changes reload what is shown, keeping as many rows as
were loaded so the list does not jump back to its first page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

from msgspec import Struct

from mobile.store import ListCursor, OrderListItem
from mobile.sync import SyncStatus
from mobile.viewmodels import export
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import local_time, money, plural
from mobile.workspace import Workspace
from shared.deadlines import Calendar, Urgency, due
from shared.types import OPEN_STATUSES, OrderStatus


class Filter(Struct, frozen=True):
    """A filter chip's meaning: a name and the statuses it shows (empty: every order)."""

    key: str
    label: str
    statuses: tuple[OrderStatus, ...]


OPEN = Filter(
    "open",
    "Open",
    (OrderStatus.NEW, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP, OrderStatus.ON_HOLD),
)
ALL = Filter("all", "All", ())

#: the chips: the work still to do first (the default), then all, then each status in
#: the order of the seller guide
FILTERS: tuple[Filter, ...] = (
    OPEN,
    ALL,
    *(
        Filter(s.value, s.label, (s,))
        for s in (
            OrderStatus.NEW,
            OrderStatus.PROCESSING,
            OrderStatus.READY_TO_SHIP,
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.ON_HOLD,
            OrderStatus.CANCELLED,
        )
    ),
)
FILTERS_BY_KEY = {f.key: f for f in FILTERS}

#: wait this long after the last keystroke before searching
SEARCH_DEBOUNCE_SECONDS = 0.25


class StatusChip(Struct, frozen=True):
    """One filter chip: which filter, its words and its count."""

    key: str
    label: str
    count: int
    selected: bool

    @property
    def text(self) -> str:
        """What the chip reads: ``Ready to ship 25``."""
        return f"{self.label} {self.count}"


class OrderRow(Struct, frozen=True):
    """One order as the list shows it."""

    id: str
    number: str
    customer_name: str
    status: OrderStatus
    status_label: str
    items: str
    total: str
    ship_by: str
    #: "late", "due today", "due in 5 h" — empty for orders already shipped or cancelled
    badge: str
    urgency: Urgency | None
    #: changes made on this device are waiting to reach the server
    pending: bool = False

    @property
    def semantics(self) -> str:
        """The row in one sentence, for screen readers and browser tests."""
        parts = [f"Order {self.number}", self.customer_name, self.status_label]
        if self.badge:
            parts.append(self.badge)
        if self.pending:
            parts.append(WAITING)
        return ", ".join(parts)


#: the mark of an order with changes not yet on the server
WAITING = "waiting to sync"


def row_of(item: OrderListItem, calendar: Calendar, now: datetime) -> OrderRow:
    """A list row from a stored order's list columns, with its deadline badge."""
    badge = ""
    urgency: Urgency | None = None
    ship_by = ""
    if item.status in OPEN_STATUSES:
        # Only work still to do has a deadline worth showing.
        if item.ship_by is not None:
            ship_by = "Ship by " + local_time(item.ship_by, calendar.zone)
            deadline = due(item.ship_by, now, calendar)
            badge, urgency = deadline.badge, deadline.urgency
        elif item.status is OrderStatus.NEW:
            ship_by = "Waiting for payment"
    return OrderRow(
        id=item.id,
        number=item.number,
        customer_name=item.customer_name,
        status=item.status,
        status_label=item.status.label,
        items=plural(item.item_count, "item"),
        total=money(item.total_minor, item.currency),
        ship_by=ship_by,
        badge=badge,
        urgency=urgency,
        pending=item.pending,
    )


class OrdersViewModel(Observable):
    """State and behaviour of the order list, over the device store."""

    def __init__(
        self,
        workspace: Workspace,
        calendar: Calendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        page_size: int = 50,
        debounce_seconds: float = SEARCH_DEBOUNCE_SECONDS,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.calendar = calendar
        self.clock = clock
        self.page_size = page_size
        self.debounce_seconds = debounce_seconds
        self.filter: Filter = OPEN
        self.query = ""
        self.counts: dict[str, int] = {}
        self.total = 0
        self.rows: list[OrderRow] = []
        self.next_cursor: ListCursor | None = None
        self.loading = False
        self.loading_more = False
        self.error: str | None = None
        self.scan_message: str | None = None
        self.last_loaded_at: datetime | None = None
        #: the sync state as last heard (the first sync's progress, for the empty list)
        self.sync: SyncStatus = workspace.status()
        self._pending_search: asyncio.Task[None] | None = None
        #: orders ticked for a bulk action, in the order they were ticked
        self.selected: dict[str, None] = {}
        #: phones: a long press turned taps into ticks (wide screens always show the boxes)
        self.selecting = False
        #: orders new to this device (status New) that syncs brought since the banner was seen
        self.new_order_ids: list[str] = []
        self._seen_row = workspace.store.newest_row()
        #: what the last CSV export came to
        self.export_message: str | None = None
        self._unsubscribe = [
            workspace.subscribe(self._store_changed),
            workspace.watch_status(self._sync_changed),
        ]

    # ----------------------------------------------------------------- state

    @property
    def chips(self) -> list[StatusChip]:
        """The filter chips with their counts under the current search."""
        return [StatusChip(f.key, f.label, self.count(f), f == self.filter) for f in FILTERS]

    def count(self, filter: Filter) -> int:
        """How many orders a filter shows under the current search."""
        if not filter.statuses:
            return self.total
        return sum(self.counts.get(s.value, 0) for s in filter.statuses)

    @property
    def has_more(self) -> bool:
        """Whether another page can be loaded."""
        return self.next_cursor is not None

    @property
    def downloading(self) -> bool:
        """The device store is being filled by its first sync."""
        return self.sync.first_sync and self.sync.syncing

    @property
    def progress_text(self) -> str:
        """The first sync's progress (empty once the store has synced)."""
        if not self.sync.first_sync:
            return ""
        if self.sync.syncing:
            if self.sync.received:
                return f"Downloading your orders… {plural(self.sync.received, 'order')} so far."
            return "Downloading your orders…"
        if self.sync.last_error:
            return "Your orders could not be downloaded yet: the app will try again."
        return ""

    @property
    def empty_text(self) -> str:
        """What an empty list says."""
        if self.sync.first_sync and not self.total:
            return self.progress_text or "Your orders have not been downloaded yet."
        if self.query.strip():
            return f"No orders match “{self.query.strip()}”."
        if self.filter is OPEN:
            return "Nothing to do: every order is shipped or closed."
        if self.filter.statuses:
            return f"No orders are {self.filter.label.lower()}."
        return "No orders yet."

    @property
    def selected_count(self) -> int:
        """How many orders are ticked."""
        return len(self.selected)

    def is_selected(self, order_id: str) -> bool:
        """Whether this order is ticked."""
        return order_id in self.selected

    @property
    def selection_text(self) -> str:
        """``3 selected`` (empty when none)."""
        return f"{self.selected_count} selected" if self.selected else ""

    @property
    def new_orders(self) -> int:
        """How many new orders the banner announces (0: no banner)."""
        return len(self.new_order_ids)

    @property
    def banner_text(self) -> str:
        """``2 new orders`` (empty when there is nothing to announce)."""
        return f"{plural(self.new_orders, 'new order')} arrived" if self.new_order_ids else ""

    # -------------------------------------------------------------- selection

    def toggle(self, order_id: str) -> None:
        """Tick or untick an order for a bulk action."""
        if order_id in self.selected:
            del self.selected[order_id]
        else:
            self.selected[order_id] = None
        self.changed()

    def start_selecting(self, order_id: str) -> None:
        """A long press on a phone: selection mode, this order ticked."""
        self.selecting = True
        self.selected[order_id] = None
        self.changed()

    def select_all(self) -> None:
        """Tick every order the list shows now."""
        for row in self.rows:
            self.selected[row.id] = None
        self.changed()

    def clear_selection(self) -> None:
        """Untick everything and leave selection mode."""
        self.selected = {}
        self.selecting = False
        self.changed()

    # -------------------------------------------------------------- new orders

    async def show_new_orders(self) -> None:
        """ "Show" on the banner: the New filter, search cleared; the banner goes."""
        self.new_order_ids = []
        self.query = ""
        await self.select(OrderStatus.NEW.value)

    def dismiss_new_orders(self) -> None:
        """Close the banner."""
        self.new_order_ids = []
        self.changed()

    # -------------------------------------------------------------- export

    def export_csv(self) -> tuple[str, bytes]:
        """The current filter and search as a CSV file: its name and UTF-8 bytes.

        Read from the device store (works offline); every matching order, not only the
        rows scrolled to. A byte-order mark lets spreadsheet programs read accents right.
        """
        items = list(export.matching_orders(self.workspace.store, self.filter.statuses, self.query))
        text = export.orders_csv(items, self.calendar.zone)
        name = export.file_name(self.filter.key, self.clock(), self.calendar.zone)
        self.export_message = f"{plural(len(items), 'order')} exported to {name}."
        self.changed()
        return name, text.encode("utf-8-sig")

    # -------------------------------------------------------------- commands

    async def load(self) -> None:
        """Counts and the first page for the current filter and search."""
        self._read(self.page_size)

    async def refresh(self) -> None:
        """ "Sync now": ask for a sync; the list follows when changes arrive."""
        self.workspace.sync_now()
        self._read(max(self.page_size, len(self.rows)))

    async def select(self, key: str) -> None:
        """Filter by a chip: ``open``, ``all`` or a status value (the ticks are cleared)."""
        self.filter = FILTERS_BY_KEY[key]
        self.selected = {}
        self.selecting = False
        await self.load()

    def search(self, text: str) -> None:
        """Instant search as the user types: searches once typing pauses briefly."""
        self.query = text
        if self._pending_search is not None:
            self._pending_search.cancel()
        self._pending_search = asyncio.create_task(self._search_later())

    async def search_now(self, text: str) -> None:
        """Search at once (Enter in the search field)."""
        if self._pending_search is not None:
            self._pending_search.cancel()
            self._pending_search = None
        self.query = text
        await self.load()

    async def settle(self) -> None:
        """Wait for a pending debounced search (tests, and before leaving the screen)."""
        task = self._pending_search
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def load_more(self) -> None:
        """The next page, appended (lazy paging as the list scrolls)."""
        if self.next_cursor is None or self.loading_more:
            return
        page = self.workspace.store.list_orders(
            self.filter.statuses, self.query, limit=self.page_size, after=self.next_cursor
        )
        now = self.clock()
        self.rows = self.rows + [row_of(item, self.calendar, now) for item in page.items]
        self.next_cursor = page.next
        self.changed()

    async def open_code(self, code: str) -> str | None:
        """The id of the order a scanned or typed code names; None with ``scan_message`` set.

        A packing slip's barcode is the order number: an exact match, any case.
        """
        wanted = code.strip()
        self.scan_message = None
        if not wanted:
            self.scan_message = "Scan or type an order number."
            self.changed()
            return None
        found = self.workspace.store.find_by_number(wanted)
        if found is None:
            if self.sync.first_sync:
                self.scan_message = f"No order {wanted} yet: your orders are still downloading."
            else:
                self.scan_message = f"No order {wanted}."
            self.changed()
            return None
        self.changed()
        return found.id

    def dispose(self) -> None:
        """Stop listening and a pending search (the screen is going away)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._pending_search is not None:
            self._pending_search.cancel()
            self._pending_search = None

    # --------------------------------------------------------------- helpers

    def _read(self, limit: int) -> None:
        store = self.workspace.store
        counts = store.counts(self.query)
        page = store.list_orders(self.filter.statuses, self.query, limit=limit)
        now = self.clock()
        self.counts = {status.value: n for status, n in counts.counts.items()}
        self.total = counts.total
        self.rows = [row_of(item, self.calendar, now) for item in page.items]
        self.next_cursor = page.next
        self.loading = False
        self.error = None
        self.last_loaded_at = now
        self.changed()

    def _store_changed(self) -> None:
        self._notice_new_orders()
        # Keep what was scrolled to: as many rows as were on screen.
        self._read(max(self.page_size, len(self.rows)))

    def _notice_new_orders(self) -> None:
        # Orders are filed with increasing row numbers the first time they arrive; changes
        # made on this device never add one, so a higher number is an order a pull brought.
        store = self.workspace.store
        if store.last_synced_at() is None:
            # The first sync fills the device: every order is "new", none is news.
            self._seen_row = store.newest_row()
            return
        self._seen_row, found = store.orders_filed_after(self._seen_row, (OrderStatus.NEW,))
        if found:
            known = set(self.new_order_ids)
            self.new_order_ids += [i for i in found if i not in known]

    def _sync_changed(self, status: SyncStatus) -> None:
        shown = self.progress_text
        self.sync = status
        if self.progress_text != shown or status.first_sync:
            self.changed()

    async def _search_later(self) -> None:
        await asyncio.sleep(self.debounce_seconds)
        self._pending_search = None
        await self.load()
