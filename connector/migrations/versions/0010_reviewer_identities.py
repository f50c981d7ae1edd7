"""reviewer invitations, one scorecard per identity, view-only share links with a purpose

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 11:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviewer_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_encrypted', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['interview_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    sa.UniqueConstraint('session_id', 'email'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('reviewer_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_invitations_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_scorecards_invitation_id', 'reviewer_invitations',
                                    ['invitation_id'], ['id'])
        batch_op.create_unique_constraint('uq_scorecards_session_id_user_id',
                                          ['session_id', 'user_id'])
        batch_op.create_unique_constraint('uq_scorecards_session_id_invitation_id',
                                          ['session_id', 'invitation_id'])

    # Links made before now cannot be told apart (note or by hand): none is taken for a note.
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.Enum('manual', 'note', name='linkpurpose',
                                                         native_enum=False, length=32),
                                      nullable=False, server_default='manual'))
        batch_op.drop_column('can_score')


def downgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_score', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_column('purpose')

    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.drop_constraint('uq_scorecards_session_id_invitation_id', type_='unique')
        batch_op.drop_constraint('uq_scorecards_session_id_user_id', type_='unique')
        batch_op.drop_constraint('fk_scorecards_invitation_id', type_='foreignkey')
        batch_op.drop_column('invitation_id')

    with op.batch_alter_table('reviewer_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_invitations_session_id'))

    op.drop_table('reviewer_invitations')
