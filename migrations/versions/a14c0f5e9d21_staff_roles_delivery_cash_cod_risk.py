"""staff roles, delivery (handover codes, collection), cash entries, COD risk, audit trail

Staff: admin_user gains name, phone, role (existing accounts stay owners), and the email
becomes optional (a delivery person may sign in with the phone). One-time set-up links.
Orders: the returned status, handover code and tries, the assigned delivery person, what
was collected at the door, the COD fee / prepaid discount in the total, COD confirmation.

Revision ID: a14c0f5e9d21
Revises: a11c5e7d0b01
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14c0f5e9d21'
down_revision = 'a11c5e7d0b01'
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL 12+: ADD VALUE inside a transaction (the value is not used in it).
    op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'returned'")

    with op.batch_alter_table('admin_user') as batch:
        batch.add_column(sa.Column('phone', sa.String(20), nullable=True))
        batch.add_column(sa.Column('name', sa.String(80), nullable=False, server_default=''))
        batch.add_column(sa.Column('role', sa.String(10), nullable=False,
                                   server_default='owner'))
        batch.alter_column('email', existing_type=sa.String(254), nullable=True)
        batch.create_unique_constraint(op.f('uq_admin_user_phone'), ['phone'])
        batch.create_check_constraint(op.f('ck_admin_user_known_role'),
                                      "role IN ('owner', 'counter', 'delivery')")
        batch.create_check_constraint(op.f('ck_admin_user_can_sign_in'),
                                      'email IS NOT NULL OR phone IS NOT NULL')

    op.create_table(
        'staff_setup_link',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey(
            'admin_user.id', ondelete='CASCADE', name=op.f('fk_staff_setup_link_user_id_admin_user')),
            nullable=False),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by', sa.String(120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_setup_link_token_hash')),
    )
    op.create_index(op.f('ix_staff_setup_link_user_id'), 'staff_setup_link', ['user_id'])

    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('staff_id', sa.Integer(), sa.ForeignKey(
            'admin_user.id', ondelete='SET NULL', name=op.f('fk_audit_event_staff_id_admin_user')),
            nullable=True),
        sa.Column('actor', sa.String(120), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey(
            'order.id', ondelete='SET NULL', name=op.f('fk_audit_event_order_id_order')),
            nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_audit_event_staff_at', 'audit_event', ['staff_id', 'created_at'])
    op.create_index(op.f('ix_audit_event_kind'), 'audit_event', ['kind'])

    with op.batch_alter_table('order') as batch:
        batch.add_column(sa.Column('payment_adjustment_paise', sa.BigInteger(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('handover_code', sa.String(4), nullable=True))
        batch.add_column(sa.Column('handover_attempts', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('assigned_to_id', sa.Integer(), sa.ForeignKey(
            'admin_user.id', ondelete='SET NULL', name=op.f('fk_order_assigned_to_id_admin_user')),
            nullable=True))
        batch.add_column(sa.Column('out_for_delivery_at', sa.DateTime(timezone=True)))
        batch.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True)))
        batch.add_column(sa.Column('collected_paise', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('collected_method', sa.String(10), nullable=True))
        batch.add_column(sa.Column('collected_by_id', sa.Integer(), sa.ForeignKey(
            'admin_user.id', ondelete='SET NULL', name=op.f('fk_order_collected_by_id_admin_user')),
            nullable=True))
        batch.add_column(sa.Column('upi_reference', sa.String(12), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('return_reason', sa.String(500), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('returned_stock', sa.String(10), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('cod_confirmation', sa.String(10), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('cod_confirmed_by', sa.String(120), nullable=False,
                                   server_default=''))
        batch.drop_constraint(op.f('ck_order_total_adds_up'), type_='check')
        batch.create_check_constraint(
            op.f('ck_order_total_adds_up'),
            'total_paise = subtotal_paise + delivery_fee_paise + payment_adjustment_paise')
        batch.create_check_constraint(op.f('ck_order_handover_attempts_not_negative'),
                                      'handover_attempts >= 0')
        batch.create_check_constraint(op.f('ck_order_collected_not_negative'),
                                      'collected_paise IS NULL OR collected_paise >= 0')
        batch.create_check_constraint(
            op.f('ck_order_known_collected_method'),
            "collected_method IS NULL OR collected_method IN ('cash', 'upi')")
    op.create_index('ix_order_assigned_out', 'order', ['assigned_to_id'],
                    postgresql_where=sa.text("status = 'out_for_delivery'"))
    op.create_index('ix_order_collected_by_at', 'order', ['collected_by_id', 'cash_received_at'])

    op.create_table(
        'cash_entry',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('staff_id', sa.Integer(), sa.ForeignKey(
            'admin_user.id', name=op.f('fk_cash_entry_staff_id_admin_user')), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('amount_paise', sa.BigInteger(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('idempotency_key', sa.String(64), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), sa.ForeignKey(
            'admin_user.id', ondelete='SET NULL',
            name=op.f('fk_cash_entry_recorded_by_id_admin_user')), nullable=True),
        sa.Column('recorded_by', sa.String(120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('handover', 'explained')", name=op.f('ck_cash_entry_known_kind')),
        sa.CheckConstraint('amount_paise <> 0', name=op.f('ck_cash_entry_amount_not_zero')),
        sa.CheckConstraint("kind <> 'handover' OR amount_paise > 0",
                           name=op.f('ck_cash_entry_handover_positive')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_cash_entry_idempotency_key')),
    )
    op.create_index('ix_cash_entry_staff_day', 'cash_entry', ['staff_id', 'day'])

    op.create_table(
        'cod_block',
        sa.Column('phone', sa.String(20), primary_key=True),
        sa.Column('reason', sa.String(200), nullable=False),
        sa.Column('blocked_by', sa.String(120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )

    for ddl in (
        "cod_confirm_first BOOLEAN NOT NULL DEFAULT false",
        "cod_autocancel_hours INTEGER NOT NULL DEFAULT 0",
        "cod_max_refusals INTEGER NOT NULL DEFAULT 2",
        "cod_fee_paise INTEGER NOT NULL DEFAULT 0",
        "prepaid_discount_paise INTEGER NOT NULL DEFAULT 0",
        "upi_vpa VARCHAR(60) NOT NULL DEFAULT ''",
    ):
        op.execute(f"ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS {ddl}")


def downgrade():
    for column in ("cod_confirm_first", "cod_autocancel_hours", "cod_max_refusals",
                   "cod_fee_paise", "prepaid_discount_paise", "upi_vpa"):
        op.execute(f"ALTER TABLE shop_settings DROP COLUMN IF EXISTS {column}")
    op.drop_table('cod_block')
    op.drop_table('cash_entry')
    op.drop_index('ix_order_collected_by_at', table_name='order')
    op.drop_index('ix_order_assigned_out', table_name='order')
    with op.batch_alter_table('order') as batch:
        for name in ('ck_order_known_collected_method', 'ck_order_collected_not_negative',
                     'ck_order_handover_attempts_not_negative', 'ck_order_total_adds_up'):
            batch.drop_constraint(op.f(name), type_='check')
        batch.create_check_constraint(op.f('ck_order_total_adds_up'),
                                      'total_paise = subtotal_paise + delivery_fee_paise')
        for column in ('cod_confirmed_by', 'cod_confirmation', 'returned_stock', 'return_reason',
                       'upi_reference', 'collected_by_id', 'collected_method', 'collected_paise',
                       'delivered_at', 'out_for_delivery_at', 'assigned_to_id',
                       'handover_attempts', 'handover_code', 'payment_adjustment_paise'):
            batch.drop_column(column)
    op.drop_table('audit_event')
    op.drop_table('staff_setup_link')
    with op.batch_alter_table('admin_user') as batch:
        batch.drop_constraint(op.f('ck_admin_user_can_sign_in'), type_='check')
        batch.drop_constraint(op.f('ck_admin_user_known_role'), type_='check')
        batch.drop_constraint(op.f('uq_admin_user_phone'), type_='unique')
        batch.alter_column('email', existing_type=sa.String(254), nullable=False)
        for column in ('role', 'name', 'phone'):
            batch.drop_column(column)
    # The 'returned' order status stays: PostgreSQL cannot drop an enum value.
