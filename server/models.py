"""Every table, imported in one place for Alembic and the app factory."""

from server.accounts.models import ApiKey, LoginFailure, RefreshToken, User, Vendor
from server.claims.models import OrderClaim
from server.db import Base
from server.inventory.models import InventoryRow
from server.notifications.models import (
    Delivery,
    DeliveryAttempt,
    NotificationPreference,
    OutboxItem,
    PushSubscription,
    VapidKey,
)
from server.orders.models import OrderEvent, OrderNote, OrderRow
from server.outofstock.models import Refund
from server.payouts.models import Payout
from server.sync.models import OrderConflict, SyncMutation
from server.tracking.models import TrackingEvent

__all__ = [
    "ApiKey",
    "Base",
    "Delivery",
    "DeliveryAttempt",
    "InventoryRow",
    "LoginFailure",
    "NotificationPreference",
    "OrderClaim",
    "OrderConflict",
    "OrderEvent",
    "OrderNote",
    "OrderRow",
    "OutboxItem",
    "Payout",
    "PushSubscription",
    "RefreshToken",
    "Refund",
    "SyncMutation",
    "TrackingEvent",
    "User",
    "VapidKey",
    "Vendor",
]
