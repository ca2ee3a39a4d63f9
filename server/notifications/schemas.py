"""Wire types of the notifications domain, and the snapshot an outbox row carries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from msgspec import Meta, Struct, field

B64Url = Annotated[str, Meta(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_\-]+=*$")]
ClockTime = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Kind(StrEnum):
    """What an outbox row is about."""

    NEW_ORDER = "new_order"
    ORDER_CHANGED = "order_changed"
    CONFLICT = "conflict"
    ORDER_DELAYED = "order_delayed"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"


#: what a seller may choose to hear about, per channel
PushTopic = Literal["new_order", "order_delayed", "conflict"]
EmailTopic = Literal["new_order", "order_delayed", "conflict"]
DashboardTopic = Literal["new_order", "order_changed", "conflict"]


class OrderSnapshot(Struct, kw_only=True):
    """What messages about an order show, as it was when the change happened."""

    order_id: str
    number: str
    status: str
    item_count: int
    total_minor: int
    currency: str
    ship_by: datetime | None = None
    customer_name: str = ""
    customer_email: str = ""
    carrier: str = ""
    tracking_number: str = ""
    vendor_name: str = ""
    vendor_timezone: str = "UTC"
    #: a delay: the new date we expect to ship by (vendor's local date, ISO)
    new_estimate: str = ""
    #: a conflict: what clashed, in a sentence
    message: str = ""


class VapidPublicKey(Struct):
    """The ``applicationServerKey`` a browser subscribes with."""

    public_key: str
    key_id: str


class SubscriptionKeys(Struct, forbid_unknown_fields=True):
    """The browser's keys from ``PushSubscription.toJSON()``."""

    p256dh: B64Url
    auth: Annotated[str, Meta(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-]+=*$")]


class NewSubscription(Struct, kw_only=True):
    """``PushSubscription.toJSON()`` plus which device it is (also ``X-Device-Id``)."""

    endpoint: Annotated[str, Meta(min_length=10, max_length=1000)]
    keys: SubscriptionKeys
    #: the browser's ``expirationTime`` (ms since the epoch), if it gave one
    expiration_time: int | None = field(default=None, name="expirationTime")
    device_id: Annotated[str, Meta(max_length=64)] = ""
    #: the public key the browser subscribed with (from GET /api/push/vapid-public-key)
    key_id: Annotated[str, Meta(max_length=36)] = ""


class SubscriptionOut(Struct):
    """A push subscription of the signed-in user."""

    id: str
    device_id: str
    endpoint_origin: str
    created_at: datetime
    last_success_at: datetime | None


class QuietHours(Struct, forbid_unknown_fields=True):
    """No push between ``start`` and ``end`` (vendor's time zone); they wait until ``end``."""

    start: ClockTime
    end: ClockTime


class Preferences(Struct, kw_only=True, forbid_unknown_fields=True):
    """Per user: which channels notify of what, and quiet hours for push."""

    push: list[PushTopic] = field(
        default_factory=lambda: ["new_order", "order_delayed", "conflict"]
    )
    email: list[EmailTopic] = field(default_factory=list)
    dashboard: list[DashboardTopic] = field(
        default_factory=lambda: ["new_order", "order_changed", "conflict"]
    )
    quiet_hours: QuietHours | None = None


class EventsToken(Struct):
    """A short-lived token for ``GET /api/events?token=…`` (EventSource cannot send headers)."""

    token: str
    expires_at: datetime


class DashboardEvent(Struct, kw_only=True):
    """One live alert on the dashboard (``data:`` of an SSE message)."""

    id: int
    type: str
    order_id: str
    number: str
    status: str
    item_count: int
    total_minor: int
    currency: str
    ship_by: datetime | None = None
    message: str = ""
    at: datetime
