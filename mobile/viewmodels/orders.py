"""The order list: status chips with counts, instant search, ship-by badges, paging, scans."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

from msgspec import Struct

from mobile.api import ApiError, NotSignedIn, ServerUnreachable
from mobile.sources import OrderSource
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import local_time, money, plural
from mobile.wire import OrderSummary
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

    @property
    def semantics(self) -> str:
        """The row in one sentence, for screen readers and browser tests."""
        parts = [f"Order {self.number}", self.customer_name, self.status_label]
        if self.badge:
            parts.append(self.badge)
        return ", ".join(parts)


def row_of(summary: OrderSummary, calendar: Calendar, now: datetime) -> OrderRow:
    """A list row from an order summary, with its deadline badge."""
    badge = ""
    urgency: Urgency | None = None
    ship_by = ""
    if summary.status in OPEN_STATUSES:
        # Only work still to do has a deadline worth showing.
        if summary.ship_by is not None:
            ship_by = "Ship by " + local_time(summary.ship_by, calendar.zone)
            deadline = due(summary.ship_by, now, calendar)
            badge, urgency = deadline.badge, deadline.urgency
        elif summary.status is OrderStatus.NEW:
            ship_by = "Waiting for payment"
    return OrderRow(
        id=summary.id,
        number=summary.number,
        customer_name=summary.customer_name,
        status=summary.status,
        status_label=summary.status.label,
        items=plural(summary.item_count, "item"),
        total=money(summary.total_minor, summary.currency),
        ship_by=ship_by,
        badge=badge,
        urgency=urgency,
    )


class OrdersViewModel(Observable):
    """State and behaviour of the order list."""

    def __init__(
        self,
        source: OrderSource,
        calendar: Calendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        page_size: int = 50,
        debounce_seconds: float = SEARCH_DEBOUNCE_SECONDS,
    ) -> None:
        super().__init__()
        self.source = source
        self.calendar = calendar
        self.clock = clock
        self.page_size = page_size
        self.debounce_seconds = debounce_seconds
        self.filter: Filter = OPEN
        self.query = ""
        self.counts: dict[str, int] = {}
        self.total = 0
        self.rows: list[OrderRow] = []
        self.next_cursor: str | None = None
        self.loading = False
        self.loading_more = False
        self.error: str | None = None
        self.scan_message: str | None = None
        self.last_loaded_at: datetime | None = None
        #: set when the server says the session is over: the app goes back to sign-in
        self.signed_out = False
        self._generation = 0
        self._pending_search: asyncio.Task[None] | None = None

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
    def empty_text(self) -> str:
        """What an empty list says."""
        if self.query.strip():
            return f"No orders match “{self.query.strip()}”."
        if self.filter is OPEN:
            return "Nothing to do: every order is shipped or closed."
        if self.filter.statuses:
            return f"No orders are {self.filter.label.lower()}."
        return "No orders yet."

    # -------------------------------------------------------------- commands

    async def load(self) -> None:
        """Counts and the first page for the current filter and search."""
        self._generation += 1
        generation = self._generation
        self.loading = True
        self.changed()
        try:
            counts, page = await asyncio.gather(
                self.source.counts(self.query),
                self.source.page(self.filter.statuses, self.query, None, self.page_size),
            )
        except (ApiError, ServerUnreachable) as exc:
            if generation == self._generation:
                self._failed(exc)
            return
        if generation != self._generation:
            return  # a newer filter or search has started: its answer wins
        now = self.clock()
        self.counts, self.total = counts.counts, counts.total
        self.rows = [row_of(s, self.calendar, now) for s in page.items]
        self.next_cursor = page.next_cursor
        self.loading = False
        self.error = None
        self.last_loaded_at = now
        self.changed()

    async def refresh(self) -> None:
        """ "Sync now": load again from the source."""
        await self.load()

    async def select(self, key: str) -> None:
        """Filter by a chip: ``open``, ``all`` or a status value."""
        self.filter = FILTERS_BY_KEY[key]
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
        if self.next_cursor is None or self.loading or self.loading_more:
            return
        generation = self._generation
        self.loading_more = True
        self.changed()
        try:
            page = await self.source.page(
                self.filter.statuses, self.query, self.next_cursor, self.page_size
            )
        except (ApiError, ServerUnreachable) as exc:
            self.loading_more = False
            self._failed(exc)
            return
        self.loading_more = False
        if generation != self._generation:
            return
        now = self.clock()
        self.rows = self.rows + [row_of(s, self.calendar, now) for s in page.items]
        self.next_cursor = page.next_cursor
        self.changed()

    async def open_code(self, code: str) -> str | None:
        """The id of the order a scanned or typed code names; None with ``scan_message`` set."""
        wanted = code.strip()
        self.scan_message = None
        if not wanted:
            self.scan_message = "Scan or type an order number."
            self.changed()
            return None
        try:
            found = await self.source.find_by_code(wanted)
        except (ApiError, ServerUnreachable) as exc:
            self._failed(exc)
            return None
        if found is None:
            self.scan_message = f"No order {wanted}."
            self.changed()
            return None
        self.changed()
        return found.id

    def dispose(self) -> None:
        """Stop a pending search (the screen is going away)."""
        if self._pending_search is not None:
            self._pending_search.cancel()
            self._pending_search = None

    # --------------------------------------------------------------- helpers

    async def _search_later(self) -> None:
        await asyncio.sleep(self.debounce_seconds)
        self._pending_search = None
        await self.load()

    def _failed(self, exc: Exception) -> None:
        self.loading = False
        self.loading_more = False
        if isinstance(exc, NotSignedIn):
            self.signed_out = True
            self.error = "Your session has ended: please sign in again."
        elif isinstance(exc, ServerUnreachable):
            self.error = "The server cannot be reached. Your list may be out of date."
        else:
            self.error = exc.detail if isinstance(exc, ApiError) else str(exc)
        self.changed()
