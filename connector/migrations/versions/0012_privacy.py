"""privacy: retention settings, settled and erased interviews, the access log, erasure receipts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 20:00:00
"""

from alembic import op
import sqlalchemy as sa



revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations') as batch:
        batch.add_column(sa.Column('retention_days', sa.Integer(), nullable=False,
                                   server_default='180'))
        batch.add_column(sa.Column('privacy_contact', sa.String(320), nullable=True))
        batch.add_column(sa.Column('erasure_wait_days', sa.Integer(), nullable=False,
                                   server_default='7'))
        batch.add_column(sa.Column('access_log_days', sa.Integer(), nullable=False,
                                   server_default='730'))
    with op.batch_alter_table('interview_templates') as batch:
        batch.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('interview_sessions') as batch:
        batch.add_column(sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('erasure_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_interview_sessions_settled_at', ['settled_at'])
        batch.create_index('ix_interview_sessions_erasure_due_at', ['erasure_due_at'])
    # Interviews already over start their retention period from when they ended.
    op.execute("UPDATE interview_sessions SET settled_at = COALESCE(completed_at, deadline_at)"
               " WHERE state IN ('completed', 'expired', 'cancelled')")
    op.create_table(
        'access_events',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organization_id', sa.Integer(), sa.ForeignKey('organizations.id'),
                  nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(32), nullable=False),
        sa.Column('actor_id', sa.String(100), nullable=False),
        sa.Column('actor_label', sa.String(200), nullable=False),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('interview', sa.String(40), nullable=True),
        sa.Column('detail', sa.String(200), nullable=False),
        sa.Column('address', sa.String(64), nullable=True),
    )
    op.create_index('ix_access_events_organization_at', 'access_events',
                    ['organization_id', 'at'])
    op.create_index('ix_access_events_interview', 'access_events', ['interview'])
    op.create_table(
        'erasure_receipts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('public_id', sa.String(40), nullable=False, unique=True),
        sa.Column('organization_id', sa.Integer(), sa.ForeignKey('organizations.id'),
                  nullable=False),
        sa.Column('reason', sa.String(32), nullable=False),
        sa.Column('actor', sa.String(32), nullable=False),
        sa.Column('actor_id', sa.String(100), nullable=False),
        sa.Column('interviews', sa.JSON(), nullable=False),
        sa.Column('erased', sa.JSON(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('interview_count', sa.Integer(), nullable=False),
    )
    op.create_index('ix_erasure_receipts_organization_id', 'erasure_receipts',
                    ['organization_id'])


def downgrade() -> None:
    op.drop_table('erasure_receipts')
    op.drop_table('access_events')
    with op.batch_alter_table('interview_sessions') as batch:
        batch.drop_index('ix_interview_sessions_erasure_due_at')
        batch.drop_index('ix_interview_sessions_settled_at')
        batch.drop_column('erased_at')
        batch.drop_column('erasure_due_at')
        batch.drop_column('settled_at')
    with op.batch_alter_table('interview_templates') as batch:
        batch.drop_column('retention_days')
    with op.batch_alter_table('organizations') as batch:
        for column in ('access_log_days', 'erasure_wait_days', 'privacy_contact',
                       'retention_days'):
            batch.drop_column(column)
