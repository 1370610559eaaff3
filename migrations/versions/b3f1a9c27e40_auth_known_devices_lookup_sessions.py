"""auth: known-device sign-in attempts, server-side My orders sessions

Revision ID: b3f1a9c27e40
Revises: 5c2e9a7d41b3
Create Date: 2026-12-01 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1a9c27e40'
down_revision = '5c2e9a7d41b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_login_attempt_device_at', ['device', 'created_at'], unique=False)

    op.create_table('lookup_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_session'))
    )
    with op.batch_alter_table('lookup_session', schema=None) as batch_op:
        batch_op.create_index('ix_lookup_session_expires_at', ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('lookup_session', schema=None) as batch_op:
        batch_op.drop_index('ix_lookup_session_expires_at')
    op.drop_table('lookup_session')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_device_at')
        batch_op.drop_column('device')
