"""slots: pickup or delivery for a time, pre-order windows, kitchen capacity bookings

Orders gain how (delivery or pickup) and when (a slot, or as soon as possible); existing
orders become "as soon as possible" deliveries, due when they were placed. The shop's
settings gain opening hours and slot rules, and the shared `address` column.

Revision ID: a11c5e7d0b01
Revises: 3adc237c61a6
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a11c5e7d0b01'
down_revision = '3adc237c61a6'
branch_labels = None
depends_on = None

SETTINGS_COLUMNS = [
    # shared with other issues: IF NOT EXISTS so two branches adding it do not clash
    "address TEXT NOT NULL DEFAULT ''",
    "delivery_enabled BOOLEAN NOT NULL DEFAULT true",
    "pickup_enabled BOOLEAN NOT NULL DEFAULT true",
    "weekly_hours JSONB NOT NULL DEFAULT '{}'",
    "closed_dates TEXT NOT NULL DEFAULT ''",
    "slot_minutes INTEGER NOT NULL DEFAULT 120",
    "delivery_slot_hours VARCHAR(200) NOT NULL DEFAULT ''",
    "pickup_slot_hours VARCHAR(200) NOT NULL DEFAULT ''",
    "min_notice_minutes INTEGER NOT NULL DEFAULT 120",
    "same_day_cutoff VARCHAR(5) NOT NULL DEFAULT ''",
    "asap_enabled BOOLEAN NOT NULL DEFAULT true",
    "asap_minutes INTEGER NOT NULL DEFAULT 45",
    "booking_days INTEGER NOT NULL DEFAULT 7",
    "slot_max_orders INTEGER NOT NULL DEFAULT 0",
    "slot_max_grams INTEGER NOT NULL DEFAULT 0",
]


def upgrade():
    for column in SETTINGS_COLUMNS:
        op.execute(f"ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS {column}")

    op.create_table(
        'slot_booking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('orders', sa.Integer(), server_default='0', nullable=False),
        sa.Column('grams', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint('orders >= 0 AND grams >= 0',
                           name=op.f('ck_slot_booking_booked_not_negative')),
        sa.CheckConstraint("kind IN ('delivery', 'pickup')",
                           name=op.f('ck_slot_booking_kind_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_booking')),
        sa.UniqueConstraint('kind', 'starts_at', name='uq_slot_booking_kind_starts_at'),
    )
    op.create_table(
        'preorder_window',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('orders_from', sa.Date(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('daily_capacity_grams', sa.Integer(), nullable=False),
        sa.Column('order_by', sa.Time(), nullable=False),
        sa.Column('advance_percent', sa.Integer(), nullable=False),
        sa.Column('cod_allowed', sa.Boolean(), nullable=False),
        sa.Column('cod_max_paise', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('first_day <= last_day AND orders_from <= last_day',
                           name=op.f('ck_preorder_window_days_in_order')),
        sa.CheckConstraint('daily_capacity_grams >= 0',
                           name=op.f('ck_preorder_window_capacity_not_negative')),
        sa.CheckConstraint('advance_percent BETWEEN 0 AND 100',
                           name=op.f('ck_preorder_window_advance_is_a_percentage')),
        sa.CheckConstraint('cod_max_paise >= 0',
                           name=op.f('ck_preorder_window_cod_max_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_preorder_window')),
    )
    op.create_table(
        'preorder_item',
        sa.Column('window_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('daily_cap', sa.Integer(), nullable=False),
        sa.CheckConstraint('daily_cap >= 0', name=op.f('ck_preorder_item_cap_not_negative')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE',
                                name=op.f('fk_preorder_item_product_id_product')),
        sa.ForeignKeyConstraint(['window_id'], ['preorder_window.id'], ondelete='CASCADE',
                                name=op.f('fk_preorder_item_window_id_preorder_window')),
        sa.PrimaryKeyConstraint('window_id', 'product_id', name=op.f('pk_preorder_item')),
    )
    op.create_table(
        'capacity_booking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('window_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('booked', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint('booked >= 0', name=op.f('ck_capacity_booking_booked_not_negative')),
        sa.ForeignKeyConstraint(['window_id'], ['preorder_window.id'], ondelete='CASCADE',
                                name=op.f('fk_capacity_booking_window_id_preorder_window')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_booking')),
        sa.UniqueConstraint('window_id', 'day', 'product_id', name='uq_capacity_booking_day'),
    )

    with op.batch_alter_table('order') as batch:
        batch.add_column(sa.Column('fulfilment', sa.String(length=8), server_default='delivery',
                                   nullable=False))
        batch.add_column(sa.Column('slot_starts_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('slot_ends_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('slot_booking_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('slot_grams', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('preorder_window_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('advance_paise', sa.BigInteger(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('reminder_queued_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_foreign_key(op.f('fk_order_slot_booking_id_slot_booking'), 'slot_booking',
                                 ['slot_booking_id'], ['id'])
        batch.create_foreign_key(op.f('fk_order_preorder_window_id_preorder_window'),
                                 'preorder_window', ['preorder_window_id'], ['id'])
        batch.create_index(op.f('ix_order_due_at'), ['due_at'], unique=False)
    # Existing orders: "as soon as possible" deliveries, due when they were placed.
    op.execute('UPDATE "order" SET due_at = created_at WHERE due_at IS NULL')
    with op.batch_alter_table('order_item') as batch:
        batch.add_column(sa.Column('made_to_order', sa.Boolean(), server_default='false',
                                   nullable=False))


def downgrade():
    with op.batch_alter_table('order_item') as batch:
        batch.drop_column('made_to_order')
    with op.batch_alter_table('order') as batch:
        batch.drop_index(op.f('ix_order_due_at'))
        batch.drop_constraint(op.f('fk_order_preorder_window_id_preorder_window'),
                              type_='foreignkey')
        batch.drop_constraint(op.f('fk_order_slot_booking_id_slot_booking'), type_='foreignkey')
        for column in ('reminder_queued_at', 'advance_paise', 'preorder_window_id', 'slot_grams',
                       'slot_booking_id', 'due_at', 'slot_ends_at', 'slot_starts_at',
                       'fulfilment'):
            batch.drop_column(column)
    op.drop_table('capacity_booking')
    op.drop_table('preorder_item')
    op.drop_table('preorder_window')
    op.drop_table('slot_booking')
    for column in SETTINGS_COLUMNS[1:]:  # `address` is shared: left for the other issues
        op.execute(f"ALTER TABLE shop_settings DROP COLUMN IF EXISTS {column.split()[0]}")
