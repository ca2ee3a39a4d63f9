"""The seller-metrics dashboard: where the seller stands against each marketplace threshold.

Plain Python over ``GET /api/metrics`` (through :class:`MetricsSource`): a card per
figure for the chosen trailing window (7 or 30 days) — its value, the threshold, whether
it is met, what it counts — and the day-by-day series the charts draw. The figures and the
pass/fail verdicts are the server's; this only words them (definitions: docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from msgspec import Struct

from mobile.api import ApiError, NotSignedIn, Params, ServerUnreachable
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import local_time
from shared.metrics import Durations, Rate, WindowMetrics

T = TypeVar("T")

#: the trailing windows the server computes, shortest first
WINDOWS = (7, 30)
DEFAULT_WINDOW = 30


class DayFigures(Struct, frozen=True):
    """One local day of the vendor's orders (``server/metrics/daily.py``)."""

    day: date
    placed: int
    cancelled_by_seller: int
    due: int
    late: int
    shipped: int
    shipped_within_24h: int
    average_hours_to_ship: float | None


class MetricsReport(Struct):
    """What ``GET /api/metrics`` answers (unknown fields are ignored)."""

    vendor_id: str
    computed_at: datetime
    windows: list[WindowMetrics]
    timezone: str = "UTC"
    daily: list[DayFigures] = []


class MetricsSource(Protocol):
    """Where the dashboard gets its figures."""

    async def metrics(self) -> MetricsReport:
        """The current metrics of the signed-in vendor."""
        ...


class JsonApi(Protocol):
    """The one thing this module needs of :class:`mobile.api.ApiClient`."""

    async def request(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
    ) -> T:
        """A signed-in JSON call decoded into ``into``."""
        ...


class RestMetricsSource:
    """:class:`MetricsSource` over the server's REST API."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api

    async def metrics(self) -> MetricsReport:
        """``GET /api/metrics``."""
        return await self.api.request("GET", "/api/metrics", MetricsReport)


class Standing(StrEnum):
    """How a figure stands against its threshold."""

    MEETS = "meets"
    MISSES = "misses"
    NO_DATA = "no_data"
    #: a figure with no marketplace threshold (time to ship)
    INFO = "info"


class MetricCard(Struct, frozen=True):
    """One figure as the dashboard shows it."""

    key: str
    title: str
    value: str
    #: what was counted: "2 of 16 orders due were shipped late"
    detail: str
    #: "Amazon: under 4 %"; empty when no marketplace holds sellers to this figure
    threshold: str
    standing: Standing
    definition: str

    @property
    def verdict(self) -> str:
        """The standing in words."""
        return {
            Standing.MEETS: "Meets the threshold",
            Standing.MISSES: "Misses the threshold",
            Standing.NO_DATA: "Nothing to measure yet",
            Standing.INFO: "",
        }[self.standing]

    @property
    def semantics(self) -> str:
        """The card in one sentence, for screen readers and browser tests."""
        parts = [f"{self.title}: {self.value}", self.verdict, self.threshold]
        return ", ".join(p for p in parts if p)


class DayBar(Struct, frozen=True):
    """One day of the ship-by chart: deadlines met and missed."""

    day: date
    label: str
    met: int
    missed: int


class DayPoint(Struct, frozen=True):
    """One day of the time-to-ship chart (``hours`` is None on days nothing shipped)."""

    day: date
    label: str
    hours: float | None
    shipped: int


class RateWording(Struct, frozen=True):
    """How the dashboard words one rate."""

    marketplace: str
    counted: str
    definition: str


#: the words of each rate; the figures, thresholds and verdicts come from the server
RATES: dict[str, RateWording] = {
    "late_shipment_rate": RateWording(
        "Amazon",
        "{num} of {den} orders due were shipped late",
        "Orders whose ship-by fell in the window (not cancelled) that were shipped after "
        "ship-by or are still unshipped.",
    ),
    "cancellation_rate": RateWording(
        "Amazon",
        "{num} of {den} orders placed were cancelled by the seller",
        "Orders placed in the window that the seller cancelled before shipping (out of "
        "stock or the seller's choice); customer, payment and marketplace cancellations "
        "do not count.",
    ),
    "valid_tracking_rate": RateWording(
        "Amazon; Etsy Star Seller",
        "{num} of {den} shipped orders have a tracking scan",
        "Orders shipped in the window that have a tracking number and at least one carrier event.",
    ),
    "on_time_delivery_rate": RateWording(
        "Amazon",
        "{num} of {den} delivered orders arrived on time",
        "Orders delivered in the window that arrived by the end of the 5th business day "
        "after ship-by.",
    ),
}

TIME_TO_SHIP = (
    "Hours from payment (or placement, if unpaid) to shipping, over the orders shipped in "
    "the window."
)
WITHIN = (
    "Share of the orders shipped in the window that left within {hours} hours of payment "
    "(the seller guide recommends 24–48 h)."
)


def percent(value: float) -> str:
    """``0.125`` → ``12.5 %``."""
    return f"{value * 100:.1f} %"


def hours(value: float) -> str:
    """``14.25`` → ``14.3 h``."""
    return f"{value:.1f} h"


def rate_card(key: str, rate: Rate) -> MetricCard:
    """A card for one of the four rates, with its threshold and the server's verdict."""
    words = RATES[key]
    threshold = ""
    if rate.threshold is not None:
        side = "under" if rate.direction == "max" else "at least"
        threshold = f"{words.marketplace}: {side} {rate.threshold * 100:g} %"
    if rate.value is None or rate.ok is None:
        standing = Standing.NO_DATA
    else:
        standing = Standing.MEETS if rate.ok else Standing.MISSES
    return MetricCard(
        key=key,
        title=rate.name,
        value=percent(rate.value) if rate.value is not None else "—",
        detail=words.counted.format(num=rate.numerator, den=rate.denominator),
        threshold=threshold,
        standing=standing,
        definition=words.definition,
    )


def time_cards(d: Durations) -> list[MetricCard]:
    """Average and 90th-percentile time to ship, and the shares within 24 h and 48 h."""
    shipped = f"over {d.count} shipped orders" if d.count != 1 else "over 1 shipped order"

    def card(key: str, title: str, value: str | None, definition: str) -> MetricCard:
        return MetricCard(
            key=key,
            title=title,
            value=value or "—",
            detail=shipped,
            threshold="",
            standing=Standing.INFO if value is not None else Standing.NO_DATA,
            definition=definition,
        )

    def shown(value: float | None, words: Callable[[float], str]) -> str | None:
        return None if value is None else words(value)

    return [
        card("average_hours", "Average time to ship", shown(d.average_hours, hours), TIME_TO_SHIP),
        card(
            "p90_hours",
            "90th percentile time to ship",
            shown(d.p90_hours, hours),
            TIME_TO_SHIP + " Nine in ten orders shipped at least this fast.",
        ),
        card(
            "within_24h",
            "Shipped within 24 h",
            shown(d.within_24h, percent),
            WITHIN.format(hours=24),
        ),
        card(
            "within_48h",
            "Shipped within 48 h",
            shown(d.within_48h, percent),
            WITHIN.format(hours=48),
        ),
    ]


def cards_of(window: WindowMetrics) -> list[MetricCard]:
    """Every card of one window, the marketplace rates first."""
    return [
        rate_card("late_shipment_rate", window.late_shipment_rate),
        rate_card("cancellation_rate", window.cancellation_rate),
        rate_card("valid_tracking_rate", window.valid_tracking_rate),
        rate_card("on_time_delivery_rate", window.on_time_delivery_rate),
        *time_cards(window.time_to_ship),
    ]


def day_label(day: date) -> str:
    """``23 Nov``."""
    return f"{day.day} {day:%b}"


class MetricsViewModel(Observable):
    """The dashboard's state: the report, the chosen window, its cards and chart series."""

    def __init__(self, source: MetricsSource, window_days: int = DEFAULT_WINDOW) -> None:
        super().__init__()
        self.source = source
        self.window_days = window_days if window_days in WINDOWS else DEFAULT_WINDOW
        self.report: MetricsReport | None = None
        self.loading = False
        self.error: str | None = None
        #: the server ended the session: the app goes back to sign-in
        self.signed_out = False

    # ------------------------------------------------------------- actions

    async def load(self) -> None:
        """Fetch the figures (keeps showing the last ones if this fails)."""
        self.loading = True
        self.error = None
        self.changed()
        try:
            self.report = await self.source.metrics()
        except NotSignedIn:
            self.signed_out = True
            self.error = "Your session has ended: please sign in again."
        except ServerUnreachable:
            self.error = "Cannot reach the server: the metrics need a connection. Try again."
        except ApiError as exc:
            self.error = f"Could not load the metrics: {exc.detail}"
        finally:
            self.loading = False
            self.changed()

    def select_window(self, days: int) -> None:
        """Show the trailing 7 or 30 days."""
        if days not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS} days, not {days}")
        if days != self.window_days:
            self.window_days = days
            self.changed()

    # --------------------------------------------------------------- state

    @property
    def window(self) -> WindowMetrics | None:
        """The figures of the chosen window, once loaded."""
        if self.report is None:
            return None
        return next((w for w in self.report.windows if w.days == self.window_days), None)

    @property
    def cards(self) -> list[MetricCard]:
        """The cards of the chosen window (none before the first load)."""
        window = self.window
        return cards_of(window) if window is not None else []

    @property
    def missed(self) -> list[MetricCard]:
        """The cards whose threshold is missed: what needs attention first."""
        return [c for c in self.cards if c.standing is Standing.MISSES]

    @property
    def summary(self) -> str:
        """One line over the cards: how many thresholds are met."""
        rated = [c for c in self.cards if c.standing in (Standing.MEETS, Standing.MISSES)]
        if self.report is None:
            return ""
        if not rated:
            return f"Last {self.window_days} days: nothing to measure yet."
        met = len(rated) - len(self.missed)
        return f"Last {self.window_days} days: {met} of {len(rated)} thresholds met."

    @property
    def updated(self) -> str:
        """When the server computed the figures, in the vendor's time zone."""
        if self.report is None:
            return ""
        zone = ZoneInfo(self.report.timezone)
        return "Updated " + local_time(self.report.computed_at, zone)

    def _days(self) -> Sequence[DayFigures]:
        if self.report is None:
            return []
        return self.report.daily[-self.window_days :]

    @property
    def deadline_bars(self) -> list[DayBar]:
        """Per day of the window: ship-by deadlines met and missed (the late shipment rate)."""
        return [DayBar(d.day, day_label(d.day), d.due - d.late, d.late) for d in self._days()]

    @property
    def ship_time_points(self) -> list[DayPoint]:
        """Per day of the window: average hours from payment to shipping."""
        return [
            DayPoint(d.day, day_label(d.day), d.average_hours_to_ship, d.shipped)
            for d in self._days()
        ]

    @property
    def deadline_summary(self) -> str:
        """The ship-by chart in words."""
        bars = self.deadline_bars
        met, missed = sum(b.met for b in bars), sum(b.missed for b in bars)
        return f"Ship-by deadlines, last {self.window_days} days: {met} met, {missed} missed"

    @property
    def ship_time_summary(self) -> str:
        """The time-to-ship chart in words."""
        points = [p for p in self.ship_time_points if p.hours is not None]
        shipped = sum(p.shipped for p in self.ship_time_points)
        if not points:
            return f"Hours to ship, last {self.window_days} days: nothing shipped"
        slowest = max(points, key=lambda p: p.hours or 0.0)
        return (
            f"Hours to ship, last {self.window_days} days: {shipped} shipped, "
            f"slowest day {slowest.label} at {hours(slowest.hours or 0.0)} on average"
        )
