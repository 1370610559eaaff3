"""lookup codes and attempts: customers find their orders by phone

Revision ID: 5c2e9a7d41b3
Revises: 68ec8952515f
Create Date: 2026-11-22 20:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2e9a7d41b3'
down_revision = '68ec8952515f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lookup_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_lookup_code_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_code'))
    )
    with op.batch_alter_table('lookup_code', schema=None) as batch_op:
        batch_op.create_index('ix_lookup_code_address_created_at', ['address', 'created_at'], unique=False)
        batch_op.create_index('ix_lookup_code_phone_created_at', ['phone', 'created_at'], unique=False)

    op.create_table('lookup_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_attempt'))
    )
    with op.batch_alter_table('lookup_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_lookup_attempt_kind_address_created_at', ['kind', 'address', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('lookup_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_lookup_attempt_kind_address_created_at')
    op.drop_table('lookup_attempt')
    with op.batch_alter_table('lookup_code', schema=None) as batch_op:
        batch_op.drop_index('ix_lookup_code_phone_created_at')
        batch_op.drop_index('ix_lookup_code_address_created_at')
    op.drop_table('lookup_code')
