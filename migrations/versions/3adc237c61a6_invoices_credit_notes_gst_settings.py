"""invoices: invoices, credit notes and their lines, gapless counters per financial year;
the shop's GST registration, per-product HSN and rate, a business buyer's GSTIN on orders

`address` and `fssai_number` on shop_settings are shared with other areas: added with
IF NOT EXISTS, and left in place by the downgrade.

Revision ID: 3adc237c61a6
Revises: a6b0c3d9e512
Create Date: 2026-12-02 01:13:53.476476

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3adc237c61a6'
down_revision = 'a6b0c3d9e512'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_counter',
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('financial_year', sa.SmallInteger(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'financial_year', name=op.f('pk_document_counter'))
    )
    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_type', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('financial_year', sa.SmallInteger(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('original_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('for_cancellation', sa.Boolean(), nullable=False),
    sa.Column('supplier_name', sa.String(length=120), nullable=False),
    sa.Column('supplier_legal_name', sa.String(length=120), nullable=False),
    sa.Column('supplier_address', sa.Text(), nullable=False),
    sa.Column('supplier_gstin', sa.String(length=15), nullable=False),
    sa.Column('supplier_state_code', sa.String(length=2), nullable=False),
    sa.Column('supplier_phone', sa.String(length=20), nullable=False),
    sa.Column('fssai_number', sa.String(length=14), nullable=False),
    sa.Column('logo_key', sa.String(length=255), nullable=False),
    sa.Column('order_number', sa.Integer(), nullable=False),
    sa.Column('buyer_name', sa.String(length=120), nullable=False),
    sa.Column('buyer_phone', sa.String(length=20), nullable=False),
    sa.Column('buyer_address', sa.String(length=500), nullable=False),
    sa.Column('buyer_pincode', sa.String(length=6), nullable=False),
    sa.Column('buyer_gstin', sa.String(length=15), nullable=False),
    sa.Column('buyer_business_name', sa.String(length=120), nullable=False),
    sa.Column('place_of_supply', sa.String(length=2), nullable=False),
    sa.Column('intra_state', sa.Boolean(), nullable=False),
    sa.Column('taxable_paise', sa.BigInteger(), nullable=False),
    sa.Column('cgst_paise', sa.BigInteger(), nullable=False),
    sa.Column('sgst_paise', sa.BigInteger(), nullable=False),
    sa.Column('igst_paise', sa.BigInteger(), nullable=False),
    sa.Column('total_paise', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("(document_type = 'credit_note') = (original_id IS NOT NULL)", name=op.f('ck_invoice_credit_note_has_original')),
    sa.CheckConstraint("document_type IN ('invoice', 'credit_note')", name=op.f('ck_invoice_document_type')),
    sa.CheckConstraint("kind IN ('tax_invoice', 'bill_of_supply', 'receipt')", name=op.f('ck_invoice_kind')),
    sa.CheckConstraint('sequence > 0 AND length(number) <= 16', name=op.f('ck_invoice_number_shape')),
    sa.CheckConstraint('taxable_paise + cgst_paise + sgst_paise + igst_paise = total_paise', name=op.f('ck_invoice_total_adds_up')),
    sa.CheckConstraint('taxable_paise >= 0 AND cgst_paise >= 0 AND sgst_paise >= 0 AND igst_paise >= 0', name=op.f('ck_invoice_amounts_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_invoice_order_id_order')),
    sa.ForeignKeyConstraint(['original_id'], ['invoice.id'], name=op.f('fk_invoice_original_id_invoice')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_invoice_refund_id_refund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('number', name=op.f('uq_invoice_number')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_invoice_refund_id'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_issued_at', ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_original_id'), ['original_id'], unique=False)
        batch_op.create_index('uq_invoice_one_per_order', ['order_id'], unique=True, postgresql_where="document_type = 'invoice'")
        batch_op.create_index('uq_invoice_series_number', ['document_type', 'financial_year', 'sequence'], unique=True)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_delivery', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('hsn_code', sa.String(length=8), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('base_quantity', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=4), nullable=False),
    sa.Column('unit_price_paise', sa.BigInteger(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('taxable_paise', sa.BigInteger(), nullable=False),
    sa.Column('cgst_paise', sa.BigInteger(), nullable=False),
    sa.Column('sgst_paise', sa.BigInteger(), nullable=False),
    sa.Column('igst_paise', sa.BigInteger(), nullable=False),
    sa.Column('total_paise', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('taxable_paise + cgst_paise + sgst_paise + igst_paise = total_paise', name=op.f('ck_invoice_line_line_adds_up')),
    sa.CheckConstraint('taxable_paise >= 0 AND cgst_paise >= 0 AND sgst_paise >= 0 AND igst_paise >= 0', name=op.f('ck_invoice_line_amounts_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line'))
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_gstin', sa.String(length=15), server_default='', nullable=False))
        batch_op.add_column(sa.Column('buyer_business_name', sa.String(length=120), server_default='', nullable=False))

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hsn_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('gst_rate_bp', sa.Integer(), nullable=True))

    op.execute("ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS address TEXT NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS fssai_number VARCHAR(14) "
               "NOT NULL DEFAULT ''")
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gst_registration', sa.String(length=12), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('gstin', sa.String(length=15), server_default='', nullable=False))
        batch_op.add_column(sa.Column('legal_name', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('state_code', sa.String(length=2), server_default='', nullable=False))
        batch_op.add_column(sa.Column('invoice_prefix', sa.String(length=3), server_default='INV', nullable=False))
        batch_op.add_column(sa.Column('default_hsn', sa.String(length=8), server_default='1704', nullable=False))
        batch_op.add_column(sa.Column('default_gst_rate_bp', sa.Integer(), server_default='500', nullable=False))
        batch_op.add_column(sa.Column('delivery_sac', sa.String(length=8), server_default='996813', nullable=False))
        batch_op.add_column(sa.Column('delivery_gst_rate_bp', sa.Integer(), server_default='500', nullable=False))



def downgrade():
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_column('delivery_gst_rate_bp')
        batch_op.drop_column('delivery_sac')
        batch_op.drop_column('default_gst_rate_bp')
        batch_op.drop_column('default_hsn')
        batch_op.drop_column('invoice_prefix')
        batch_op.drop_column('state_code')
        batch_op.drop_column('legal_name')
        batch_op.drop_column('gstin')
        batch_op.drop_column('gst_registration')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('gst_rate_bp')
        batch_op.drop_column('hsn_code')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('buyer_business_name')
        batch_op.drop_column('buyer_gstin')

    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('uq_invoice_series_number')
        batch_op.drop_index('uq_invoice_one_per_order', postgresql_where="document_type = 'invoice'")
        batch_op.drop_index(batch_op.f('ix_invoice_original_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_order_id'))
        batch_op.drop_index('ix_invoice_issued_at')

    op.drop_table('invoice')
    op.drop_table('document_counter')
