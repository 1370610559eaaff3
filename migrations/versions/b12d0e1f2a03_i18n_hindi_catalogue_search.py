"""i18n: Hindi names on the catalogue, the language of orders and messages, search

Categories, products and packs get a Hindi name (products a Hindi description and the
aliases customers use); orders keep the language they were placed in, messages the
language they are written in. Search: pg_trgm and unaccent, the product's search columns
with their indexes (filled here for the existing catalogue), and the log of searches.

Revision ID: b12d0e1f2a03
Revises: e19a0c0ffee1
Create Date: 2026-12-02 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b12d0e1f2a03'
down_revision = 'e19a0c0ffee1'
branch_labels = None
depends_on = None


def _text(table, column, type_=sa.Text()):
    op.add_column(table, sa.Column(column, type_, nullable=False, server_default=''))


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # pg_trgm declares its similarity functions as cheap as an addition (COST 1), so for a
    # few hundred sweets the planner reads every row and computes trigrams for each (~10 ms)
    # instead of asking the trigram indexes (~1 ms). Where we may (the extension's owner),
    # tell it what they cost; elsewhere searches are right, only slower.
    op.execute("""
        DO $$ BEGIN
            ALTER FUNCTION word_similarity(text, text) COST 100;
            ALTER FUNCTION word_similarity_op(text, text) COST 100;
            ALTER FUNCTION word_similarity_commutator_op(text, text) COST 100;
            ALTER FUNCTION similarity(text, text) COST 100;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm function costs left as they are (not the owner)';
        END $$
    """)
    _text('category', 'name_hi', sa.String(80))
    _text('product', 'name_hi', sa.String(120))
    _text('product', 'description_hi')
    _text('product', 'aliases', sa.String(500))
    _text('product', 'search_names')
    _text('product', 'search_keys')
    _text('product', 'search_text')
    _text('variant', 'name_hi', sa.String(60))
    _text('order_item', 'product_name_hi', sa.String(120))
    _text('order_item', 'pack_name_hi', sa.String(60))
    op.add_column('order', sa.Column('language', sa.String(5), nullable=False,
                                     server_default='en'))
    op.add_column('notification', sa.Column('language', sa.String(5), nullable=False,
                                            server_default='en'))
    op.create_index('ix_product_search_names_trgm', 'product', ['search_names'],
                    postgresql_using='gin', postgresql_ops={'search_names': 'gin_trgm_ops'})
    op.create_index('ix_product_search_keys_trgm', 'product', ['search_keys'],
                    postgresql_using='gin', postgresql_ops={'search_keys': 'gin_trgm_ops'})
    op.execute("ALTER TABLE product ADD COLUMN search_tsv tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED")
    op.create_index('ix_product_search_tsv', 'product', ['search_tsv'], postgresql_using='gin')
    # Search ranks what it found by what sold: the order lines of a product.
    op.create_index(op.f('ix_order_item_product_id'), 'order_item', ['product_id'])
    op.create_table(
        'search_query',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('query', sa.String(length=100), nullable=False),
        sa.Column('normalized', sa.String(length=100), nullable=False),
        sa.Column('results', sa.Integer(), nullable=False),
        sa.Column('searcher', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_query')),
    )
    op.create_index('ix_search_query_created_at', 'search_query', ['created_at'])
    op.create_index('ix_search_query_searcher', 'search_query', ['searcher', 'id'])
    op.create_index(op.f('ix_search_query_normalized'), 'search_query', ['normalized'])
    _index_existing_products()


def _index_existing_products():
    """Fill the search columns of the sweets already on sale (pure code from the app)."""
    from sweetshop.search.keys import search_columns

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT p.id, p.name, p.name_hi, p.aliases, p.description, p.description_hi, "
        "c.name AS category, c.name_hi AS category_hi "
        "FROM product p JOIN category c ON c.id = p.category_id")).mappings().all()
    for row in rows:
        bind.execute(sa.text("UPDATE product SET search_names = :names, search_keys = :keys, "
                             "search_text = :text WHERE id = :id"),
                     {"id": row["id"], **search_columns(**{k: row[k] for k in row.keys()
                                                            if k != "id"})})


def downgrade():
    op.drop_index(op.f('ix_search_query_normalized'), table_name='search_query')
    op.drop_index('ix_search_query_searcher', table_name='search_query')
    op.drop_index('ix_search_query_created_at', table_name='search_query')
    op.drop_table('search_query')
    op.drop_index(op.f('ix_order_item_product_id'), table_name='order_item')
    op.drop_index('ix_product_search_tsv', table_name='product')
    op.drop_column('product', 'search_tsv')
    op.drop_index('ix_product_search_keys_trgm', table_name='product')
    op.drop_index('ix_product_search_names_trgm', table_name='product')
    op.drop_column('notification', 'language')
    op.drop_column('order', 'language')
    op.drop_column('order_item', 'pack_name_hi')
    op.drop_column('order_item', 'product_name_hi')
    op.drop_column('variant', 'name_hi')
    for column in ('search_text', 'search_keys', 'search_names', 'aliases', 'description_hi',
                   'name_hi'):
        op.drop_column('product', column)
    op.drop_column('category', 'name_hi')
