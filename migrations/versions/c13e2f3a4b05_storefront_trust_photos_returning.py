"""storefront: shop address, FSSAI, WhatsApp, theme, logo; policy pages; remembered phones;
back-in-stock alerts; the customer-data erasure log (issue 13)

Revision ID: c13e2f3a4b05
Revises: c17a1e4f0b27
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c13e2f3a4b05'
down_revision = 'c17a1e4f0b27'
branch_labels = None
depends_on = None


def upgrade():
    # Shared columns (HELPERS.md): IF NOT EXISTS, so another branch adding them does not clash.
    op.execute("ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS address TEXT NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS fssai_number VARCHAR(14) "
               "NOT NULL DEFAULT ''")
    op.add_column('shop_settings', sa.Column('whatsapp_number', sa.String(length=20),
                                             server_default='', nullable=False))
    op.add_column('shop_settings', sa.Column('theme_color', sa.String(length=7),
                                             server_default='#8a1c2b', nullable=False))
    op.add_column('shop_settings', sa.Column('logo_key', sa.String(length=255), nullable=True))
    op.create_table(
        'shop_page',
        sa.Column('slug', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_shop_page')))
    op.create_table(
        'remembered_device',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_remembered_device')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_remembered_device_token_hash')))
    op.create_index(op.f('ix_remembered_device_phone'), 'remembered_device', ['phone'])
    op.create_table(
        'stock_alert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE',
                                name=op.f('fk_stock_alert_product_id_product')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_alert')),
        sa.UniqueConstraint('phone', 'product_id', name='uq_stock_alert_phone_product'))
    op.create_index(op.f('ix_stock_alert_phone'), 'stock_alert', ['phone'])
    op.create_index('ix_stock_alert_waiting', 'stock_alert', ['product_id'],
                    postgresql_where=sa.text('notified_at IS NULL'))
    op.create_table(
        'data_erasure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone_digest', sa.String(length=64), nullable=False),
        sa.Column('phone_hint', sa.String(length=4), nullable=False),
        sa.Column('orders_erased', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_erasure')))
    op.create_index(op.f('ix_data_erasure_phone_digest'), 'data_erasure', ['phone_digest'])


def downgrade():
    op.drop_table('data_erasure')
    op.drop_index('ix_stock_alert_waiting', table_name='stock_alert')
    op.drop_table('stock_alert')
    op.drop_table('remembered_device')
    op.drop_table('shop_page')
    op.drop_column('shop_settings', 'logo_key')
    op.drop_column('shop_settings', 'theme_color')
    op.drop_column('shop_settings', 'whatsapp_number')
    # address and fssai_number are shared with other features: left in place.
