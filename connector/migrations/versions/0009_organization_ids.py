"""organizations' public ids, which never change, and when each was last renamed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('renamed_at', sa.DateTime(timezone=True), nullable=True))
    organizations = sa.table('organizations', sa.column('id', sa.Integer),
                             sa.column('public_id', sa.String))
    connection = op.get_bind()
    for (organization_id,) in connection.execute(sa.select(organizations.c.id)).all():
        connection.execute(organizations.update().where(organizations.c.id == organization_id)
                           .values(public_id=f"org_{secrets.token_urlsafe(12)}"))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint('uq_organizations_public_id', ['public_id'])


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_organizations_public_id', type_='unique')
        batch_op.drop_column('renamed_at')
        batch_op.drop_column('public_id')
