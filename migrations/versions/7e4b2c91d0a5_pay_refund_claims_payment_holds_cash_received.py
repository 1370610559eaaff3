"""pay: refund claims, holds of unpaid online orders, cash received on delivery

- refund.claimed_at and status 'sending': a refund is claimed (committed) before the one
  HTTP call to Razorpay, so double taps, the job and the sweeper cannot send it twice;
- order.hold_cart_id, order.hold_network, order.pay_page_opened_at: how many online orders
  awaiting payment one device / network holds, and the shorter hold of an unopened pay page;
- order.cash_received_at, order.cash_received_by: a cash order delivered is a paid order.

Revision ID: 7e4b2c91d0a5
Revises: b3f1a9c27e40
Create Date: 2026-12-01 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e4b2c91d0a5'
down_revision = 'b3f1a9c27e40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_refund_known_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_refund_known_status'),
            "status IN ('requested', 'sending', 'pending', 'processed', 'failed')")
        batch_op.drop_index('ix_refund_requested', postgresql_where="status = 'requested'")
        batch_op.create_index('ix_refund_unsent', ['status'], unique=False,
                              postgresql_where="status IN ('requested', 'sending')")

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_cart_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hold_network', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('pay_page_opened_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cash_received_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cash_received_by', sa.String(length=120), nullable=True))
        # Counting the holds touches only orders awaiting payment: small partial indexes.
        for name, column in (('ix_order_awaiting_phone', 'phone'),
                             ('ix_order_awaiting_cart', 'hold_cart_id'),
                             ('ix_order_awaiting_network', 'hold_network')):
            batch_op.create_index(name, [column], unique=False,
                                  postgresql_where="status = 'awaiting_payment'")


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        for name in ('ix_order_awaiting_network', 'ix_order_awaiting_cart',
                     'ix_order_awaiting_phone'):
            batch_op.drop_index(name, postgresql_where="status = 'awaiting_payment'")
        for column in ('cash_received_by', 'cash_received_at', 'pay_page_opened_at',
                       'hold_network', 'hold_cart_id'):
            batch_op.drop_column(column)

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_unsent', postgresql_where="status IN ('requested', 'sending')")
        batch_op.create_index('ix_refund_requested', ['status'], unique=False,
                              postgresql_where="status = 'requested'")
        batch_op.drop_constraint(op.f('ck_refund_known_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_refund_known_status'),
            "status IN ('requested', 'pending', 'processed', 'failed')")
        batch_op.drop_column('claimed_at')
