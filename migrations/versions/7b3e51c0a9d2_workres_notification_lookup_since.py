"""workres: notification.lookup_since, when a send's outcome became unknown

Revision ID: 7b3e51c0a9d2
Revises: 1defecc0a594
Create Date: 2026-12-01 22:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3e51c0a9d2'
down_revision = '1defecc0a594'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lookup_since', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('lookup_since')
