"""when each answer's current take began, and its free restarts after an interruption

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26 13:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('take_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('restarts_used', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('restarts_used')
        batch_op.drop_column('take_started_at')
