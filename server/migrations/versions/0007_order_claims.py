"""order claims: who is working an order now ("I'm picking this"), until it runs out

Revision ID: 0007_order_claims
Revises: 0006_login_throttle
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0007_order_claims"
down_revision: str | None = "0006_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_claims",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_claims_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_order_claims_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_claims")),
    )
    op.create_index("ix_order_claims_vendor_expires", "order_claims", ["vendor_id", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_order_claims_vendor_expires", table_name="order_claims")
    op.drop_table("order_claims")
