"""boxes: assorted box types, ready-made mixes, boxes in carts and the parts of ordered boxes

A box draws each portion from its own sweet's stock (product.stock): it has no stock of its
own. An ordered box is an order_item without product or pack, with its parts beside it.

Revision ID: a6b0c3d9e512
Revises: 5b80c585577b
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a6b0c3d9e512'
down_revision = '5b80c585577b'
branch_labels = None
depends_on = None


def upgrade():
    division = postgresql.ENUM('compartments', 'free', name='box_division')
    pricing = postgresql.ENUM('sum', 'fixed', name='box_pricing')
    division.create(op.get_bind(), checkfirst=True)
    pricing.create(op.get_bind(), checkfirst=True)
    unit = postgresql.ENUM('g', 'pc', name='unit', create_type=False)

    op.create_table(
        'box_type',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('slug', sa.String(length=140), nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('unit', unit, nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('division', postgresql.ENUM(name='box_division', create_type=False),
                  nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('min_sweets', sa.Integer(), nullable=False),
        sa.Column('max_sweets', sa.Integer(), nullable=False),
        sa.Column('box_charge_paise', sa.Integer(), nullable=False),
        sa.Column('pricing', postgresql.ENUM(name='box_pricing', create_type=False),
                  nullable=False),
        sa.Column('fixed_price_paise', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('size > 0', name=op.f('ck_box_type_size_positive')),
        sa.CheckConstraint('step > 0 AND size % step = 0',
                           name=op.f('ck_box_type_step_divides_size')),
        sa.CheckConstraint('min_sweets >= 1 AND max_sweets >= min_sweets',
                           name=op.f('ck_box_type_sweets_range')),
        sa.CheckConstraint('box_charge_paise >= 0', name=op.f('ck_box_type_charge_not_negative')),
        sa.CheckConstraint("pricing <> 'fixed' OR fixed_price_paise > 0",
                           name=op.f('ck_box_type_fixed_price_set')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_box_type')),
        sa.UniqueConstraint('name', name=op.f('uq_box_type_name')),
        sa.UniqueConstraint('slug', name=op.f('uq_box_type_slug')),
    )
    op.create_table(
        'box_type_sweet',
        sa.Column('box_type_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['box_type_id'], ['box_type.id'], ondelete='CASCADE',
                                name=op.f('fk_box_type_sweet_box_type_id_box_type')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE',
                                name=op.f('fk_box_type_sweet_product_id_product')),
        sa.PrimaryKeyConstraint('box_type_id', 'product_id', name=op.f('pk_box_type_sweet')),
    )
    op.create_table(
        'box_mix',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('box_type_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['box_type_id'], ['box_type.id'], ondelete='CASCADE',
                                name=op.f('fk_box_mix_box_type_id_box_type')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_box_mix')),
        sa.UniqueConstraint('box_type_id', 'name', name='uq_box_mix_name'),
    )
    op.create_index(op.f('ix_box_mix_box_type_id'), 'box_mix', ['box_type_id'])
    op.create_table(
        'box_mix_part',
        sa.Column('mix_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_box_mix_part_quantity_positive')),
        sa.ForeignKeyConstraint(['mix_id'], ['box_mix.id'], ondelete='CASCADE',
                                name=op.f('fk_box_mix_part_mix_id_box_mix')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE',
                                name=op.f('fk_box_mix_part_product_id_product')),
        sa.PrimaryKeyConstraint('mix_id', 'product_id', name=op.f('pk_box_mix_part')),
    )
    op.create_table(
        'cart_box',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cart_id', sa.Integer(), nullable=False),
        sa.Column('box_type_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('gift_message', sa.String(length=200), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_box_quantity_positive')),
        sa.ForeignKeyConstraint(['cart_id'], ['cart.id'], ondelete='CASCADE',
                                name=op.f('fk_cart_box_cart_id_cart')),
        sa.ForeignKeyConstraint(['box_type_id'], ['box_type.id'], ondelete='CASCADE',
                                name=op.f('fk_cart_box_box_type_id_box_type')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_box')),
    )
    op.create_index(op.f('ix_cart_box_cart_id'), 'cart_box', ['cart_id'])
    op.create_table(
        'cart_box_part',
        sa.Column('cart_box_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_box_part_quantity_positive')),
        sa.ForeignKeyConstraint(['cart_box_id'], ['cart_box.id'], ondelete='CASCADE',
                                name=op.f('fk_cart_box_part_cart_box_id_cart_box')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE',
                                name=op.f('fk_cart_box_part_product_id_product')),
        sa.PrimaryKeyConstraint('cart_box_id', 'product_id', name=op.f('pk_cart_box_part')),
    )
    op.add_column('order_item', sa.Column('box_type_id', sa.Integer(), nullable=True))
    op.add_column('order_item', sa.Column('gift_message', sa.String(length=200),
                                          server_default='', nullable=False))
    op.create_foreign_key(op.f('fk_order_item_box_type_id_box_type'), 'order_item', 'box_type',
                          ['box_type_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'order_item_part',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_item_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('product_name', sa.String(length=120), nullable=False),
        sa.Column('unit', unit, nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_order_item_part_quantity_positive')),
        sa.ForeignKeyConstraint(['order_item_id'], ['order_item.id'], ondelete='CASCADE',
                                name=op.f('fk_order_item_part_order_item_id_order_item')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='SET NULL',
                                name=op.f('fk_order_item_part_product_id_product')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_item_part')),
    )
    op.create_index(op.f('ix_order_item_part_order_item_id'), 'order_item_part',
                    ['order_item_id'])


def downgrade():
    op.drop_index(op.f('ix_order_item_part_order_item_id'), table_name='order_item_part')
    op.drop_table('order_item_part')
    op.drop_constraint(op.f('fk_order_item_box_type_id_box_type'), 'order_item',
                       type_='foreignkey')
    op.drop_column('order_item', 'gift_message')
    op.drop_column('order_item', 'box_type_id')
    op.drop_table('cart_box_part')
    op.drop_index(op.f('ix_cart_box_cart_id'), table_name='cart_box')
    op.drop_table('cart_box')
    op.drop_table('box_mix_part')
    op.drop_index(op.f('ix_box_mix_box_type_id'), table_name='box_mix')
    op.drop_table('box_mix')
    op.drop_table('box_type_sweet')
    op.drop_table('box_type')
    postgresql.ENUM(name='box_pricing').drop(op.get_bind(), checkfirst=True)
    postgresql.ENUM(name='box_division').drop(op.get_bind(), checkfirst=True)
