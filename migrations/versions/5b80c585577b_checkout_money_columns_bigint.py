"""checkout: money columns of orders, order items, payments and refunds become BIGINT

A 32-bit column overflowed ("integer out of range", a 500) once a cart's total passed
₹2.1 crore. ORDER_MAX_PAISE now caps an order well below that; these columns no longer
set the limit. (Cart lines store packs, never sums; prices and settings stay INTEGER,
capped where the owner types them.)

Revision ID: 5b80c585577b
Revises: 7b3e51c0a9d2
Create Date: 2026-12-01 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b80c585577b'
down_revision = '7b3e51c0a9d2'
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    'order': ('subtotal_paise', 'delivery_fee_paise', 'total_paise'),
    'order_item': ('unit_price_paise', 'line_total_paise'),
    'payment': ('amount_paise', 'refunded_paise'),
    'payment_attempt': ('amount_paise',),
    'refund': ('amount_paise',),
}


def upgrade():
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.Integer(),
                                      type_=sa.BigInteger(), existing_nullable=False)


def downgrade():
    # Fails (as it should) if an amount no longer fits 32 bits.
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.BigInteger(),
                                      type_=sa.Integer(), existing_nullable=False)
