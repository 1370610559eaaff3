"""alerts: push devices, each new order's escalation ladder, alert settings (issue 17)

Revision ID: c17a1e4f0b27
Revises: a14c0f5e9d21
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17a1e4f0b27'
down_revision = 'a14c0f5e9d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'push_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.Text(), nullable=False),
        sa.Column('p256dh', sa.String(length=200), nullable=False),
        sa.Column('auth', sa.String(length=60), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_pushed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['admin_user.id'],
                                name=op.f('fk_push_subscription_user_id_admin_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscription_endpoint')),
    )
    op.create_index(op.f('ix_push_subscription_user_id'), 'push_subscription', ['user_id'])
    op.create_table(
        'order_alert',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stopped_reason', sa.String(length=200), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'],
                                name=op.f('fk_order_alert_order_id_order'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_alert')),
    )
    op.create_index('ix_order_alert_due', 'order_alert', ['next_at'],
                    postgresql_where=sa.text('stopped_at IS NULL'))
    op.add_column('notification', sa.Column('push_subscription_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_notification_push_subscription_id_push_subscription'),
                          'notification', 'push_subscription', ['push_subscription_id'], ['id'],
                          ondelete='SET NULL')
    op.create_index('uq_notification_alert_step', 'notification', ['order_id', 'kind', 'to'],
                    unique=True,
                    postgresql_where=sa.text("kind IN ('owner_reminder', 'owner_call')"))
    for ddl in (
        "alert_reminder_minutes INTEGER NOT NULL DEFAULT 3",
        "alert_call_minutes INTEGER NOT NULL DEFAULT 8",
        "alert_language VARCHAR(5) NOT NULL DEFAULT 'en'",
        "alert_at_night BOOLEAN NOT NULL DEFAULT false",
        "auto_accept BOOLEAN NOT NULL DEFAULT false",
        "auto_accept_from TIME WITHOUT TIME ZONE",
        "auto_accept_until TIME WITHOUT TIME ZONE",
    ):
        op.execute(f"ALTER TABLE shop_settings ADD COLUMN IF NOT EXISTS {ddl}")


def downgrade():
    for column in ("auto_accept_until", "auto_accept_from", "auto_accept", "alert_at_night",
                   "alert_language", "alert_call_minutes", "alert_reminder_minutes"):
        op.execute(f"ALTER TABLE shop_settings DROP COLUMN IF EXISTS {column}")
    op.drop_index('uq_notification_alert_step', table_name='notification')
    op.drop_constraint(op.f('fk_notification_push_subscription_id_push_subscription'),
                       'notification', type_='foreignkey')
    op.drop_column('notification', 'push_subscription_id')
    op.drop_index('ix_order_alert_due', table_name='order_alert')
    op.drop_table('order_alert')
    op.drop_index(op.f('ix_push_subscription_user_id'), table_name='push_subscription')
    op.drop_table('push_subscription')
