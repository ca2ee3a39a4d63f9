"""Every table, imported in one place for Alembic and the app factory."""

from server.accounts.models import ApiKey, RefreshToken, User, Vendor
from server.db import Base
from server.inventory.models import InventoryRow
from server.orders.models import OrderEvent, OrderNote, OrderRow

__all__ = [
    "ApiKey",
    "Base",
    "InventoryRow",
    "OrderEvent",
    "OrderNote",
    "OrderRow",
    "RefreshToken",
    "User",
    "Vendor",
]
