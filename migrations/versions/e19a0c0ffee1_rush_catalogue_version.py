"""rush: a catalogue version that every change to what the storefront shows bumps

The storefront's pages are cached per process under this number (sweetshop/page_cache.py).
Triggers bump it in the same transaction as the change, whichever code makes it (the
admin, a migration, psql), so a cached page can never show a price, a name, a pack or a
setting that has changed. A product's stock is the one column that does not bump it: stock
changes with every order, and the page cache keys on it separately, read live.

Tables that later issues add to what the storefront shows get the same trigger with
`bump_catalogue_version_on(table)` below.

Revision ID: e19a0c0ffee1
Revises: c13e2f3a4b05
Create Date: 2026-12-02 01:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e19a0c0ffee1'
down_revision = 'c13e2f3a4b05'
branch_labels = None
depends_on = None

# table -> the columns whose changes do not change a page (read live instead)
VERSIONED_TABLES = {
    'category': (),
    'product': ('stock',),
    'variant': (),
    'shop_settings': (),
    # assorted boxes on the home page (issue 16)
    'box_type': (),
    'box_type_sweet': (),
    'box_mix': (),
    'box_mix_part': (),
}


def bump_catalogue_version_on(table: str, live_columns=()) -> None:
    ignored = "".join(f" - '{c}'" for c in live_columns)
    # Row triggers: an UPDATE that changes only live columns (or nothing) bumps nothing,
    # so placing an order never touches (or locks) the version row.
    op.execute(f"""
        CREATE TRIGGER {table}_bumps_catalogue_version_on_update
        AFTER UPDATE ON "{table}" FOR EACH ROW
        WHEN ((to_jsonb(OLD){ignored}) IS DISTINCT FROM (to_jsonb(NEW){ignored}))
        EXECUTE FUNCTION bump_catalogue_version()
    """)
    op.execute(f"""
        CREATE TRIGGER {table}_bumps_catalogue_version
        AFTER INSERT OR DELETE OR TRUNCATE ON "{table}" FOR EACH STATEMENT
        EXECUTE FUNCTION bump_catalogue_version()
    """)


def upgrade():
    op.execute("""
        CREATE TABLE catalogue_version (
            id integer PRIMARY KEY CONSTRAINT catalogue_version_single_row CHECK (id = 1),
            version bigint NOT NULL
        )
    """)
    op.execute("INSERT INTO catalogue_version (id, version) VALUES (1, 1)")
    op.execute("""
        CREATE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE catalogue_version SET version = version + 1 WHERE id = 1;
            RETURN NULL;
        END $$
    """)
    for table, live_columns in VERSIONED_TABLES.items():
        bump_catalogue_version_on(table, live_columns)


def downgrade():
    for table in VERSIONED_TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_bumps_catalogue_version_on_update ON "{table}"')
        op.execute(f'DROP TRIGGER IF EXISTS {table}_bumps_catalogue_version ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS bump_catalogue_version()")
    op.execute("DROP TABLE IF EXISTS catalogue_version")
