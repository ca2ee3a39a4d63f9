"""order notes keyed by (vendor, id): client-chosen note ids are per vendor

Revision ID: 0005_note_keys
Revises: 0004_fulfilment
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_note_keys"
down_revision: str | None = "0004_fulfilment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_notes", recreate="always") as batch:
        batch.drop_constraint("pk_order_notes", type_="primary")
        batch.create_primary_key("pk_order_notes", ["vendor_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table("order_notes", recreate="always") as batch:
        batch.drop_constraint("pk_order_notes", type_="primary")
        batch.create_primary_key("pk_order_notes", ["id"])
