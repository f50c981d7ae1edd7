"""access: the database refuses to change a line of the access log

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 10:00:00
"""

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The ORM hook refuses an edit made through a model; this refuses one made any other way (a
# bulk UPDATE, a console). DELETE stays allowed: lines age out in bulk (privacy.access.age_out).
# On SQLite, a later batch_alter_table of access_events rebuilds the table without this
# trigger: such a migration must create it again.
MESSAGE = 'the access log is append-only'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION access_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""
            CREATE TRIGGER access_events_append_only BEFORE UPDATE ON access_events
            FOR EACH ROW EXECUTE FUNCTION access_events_append_only()""")
    else:
        op.execute(f"""
            CREATE TRIGGER access_events_append_only BEFORE UPDATE ON access_events
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    op.execute('DROP TRIGGER access_events_append_only'
               + (' ON access_events' if op.get_bind().dialect.name == 'postgresql' else ''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION access_events_append_only()')
