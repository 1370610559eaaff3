"""msgs: known phones (verified or delivered to) and the index the daily message cap counts by

Revision ID: 1defecc0a594
Revises: 7e4b2c91d0a5
Create Date: 2026-12-01 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1defecc0a594'
down_revision = '7e4b2c91d0a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('known_phone',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('known_since', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_known_phone'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_to_created_at', ['to', 'created_at'], unique=False)
    # Numbers that already had an order delivered, or wrote to us on WhatsApp, are known.
    op.execute("""
        INSERT INTO known_phone (phone, reason, known_since)
        SELECT phone, 'delivered', min(created_at) FROM "order"
        WHERE status = 'delivered' GROUP BY phone
    """)
    op.execute("""
        INSERT INTO known_phone (phone, reason, known_since)
        SELECT phone, 'whatsapp', last_inbound_at FROM whatsapp_window
        ON CONFLICT (phone) DO NOTHING
    """)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_to_created_at')
    op.drop_table('known_phone')
