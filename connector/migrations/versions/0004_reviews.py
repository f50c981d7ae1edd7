"""reviewers, scorecards, share links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:25:20.181562
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.Enum('admin', 'reviewer', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organization_id'), ['organization_id'], unique=False)

    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_encrypted', sa.Text(), nullable=False),
    sa.Column('can_score', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['interview_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_session_id'), ['session_id'], unique=False)

    op.create_table('scorecards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_key', sa.String(length=300), nullable=False),
    sa.Column('reviewer_name', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('share_link_id', sa.Integer(), nullable=True),
    sa.Column('recommendation', sa.Enum('strong_no', 'no', 'yes', 'strong_yes', name='recommendation', native_enum=False, length=32), nullable=True),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['interview_sessions.id'], ),
    sa.ForeignKeyConstraint(['share_link_id'], ['share_links.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'reviewer_key')
    )
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecards_session_id'), ['session_id'], unique=False)

    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('key', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['scorecard_id'], ['scorecards.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scorecard_id', 'target', 'key')
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_scorecard_id'), ['scorecard_id'], unique=False)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('playback_key', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('playback_mime', sa.String(length=100), nullable=True))

    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('interview_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rubric', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('interview_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rubric', sa.JSON(), nullable=False, server_default='[]'))


    _seed_builtin_rubric()


# A literal copy: a migration is history and must not change when the code does.
BUILTIN_RUBRIC = [
    {"name": "Communication", "anchors": [
        "Hard to follow; the answer does not address the question.",
        "Partly clear; the main point is hard to find.",
        "Clear and on topic, with some wandering.",
        "Clear, structured and concise.",
        "Compelling: clear structure, concrete examples, right level of detail."]},
    {"name": "Relevant experience", "anchors": [
        "No relevant experience shown.",
        "Some related experience, loosely connected to the role.",
        "Relevant experience with at least one concrete example.",
        "Several concrete examples that match the role's needs.",
        "Deep, directly relevant experience with measurable results."]},
    {"name": "Motivation for the role", "anchors": [
        "No interest in the role or the company shown.",
        "Generic interest that could apply to any job.",
        "Specific reasons for wanting this role.",
        "Specific reasons tied to the company and the team.",
        "A well-researched, convincing case for the fit."]},
]


def _seed_builtin_rubric() -> None:
    """The built-in template gets a rubric; sessions created from it so far pin it too."""
    bind = op.get_bind()
    templates = sa.table("interview_templates", sa.column("is_builtin", sa.Boolean),
                         sa.column("id", sa.Integer), sa.column("rubric", sa.JSON()))
    sessions = sa.table("interview_sessions", sa.column("template_id", sa.Integer),
                        sa.column("rubric", sa.JSON()))
    builtin = [row.id for row in bind.execute(
        sa.select(templates.c.id).where(templates.c.is_builtin == sa.true()))]
    for template_id in builtin:
        bind.execute(templates.update().where(templates.c.id == template_id)
                     .values(rubric=BUILTIN_RUBRIC))
        bind.execute(sessions.update().where(sessions.c.template_id == template_id)
                     .values(rubric=BUILTIN_RUBRIC))


def downgrade() -> None:
    with op.batch_alter_table('interview_templates', schema=None) as batch_op:
        batch_op.drop_column('rubric')

    with op.batch_alter_table('interview_sessions', schema=None) as batch_op:
        batch_op.drop_column('rubric')

    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.drop_column('options')

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('playback_mime')
        batch_op.drop_column('playback_key')

    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_scorecard_id'))

    op.drop_table('ratings')
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecards_session_id'))

    op.drop_table('scorecards')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_session_id'))

    op.drop_table('share_links')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organization_id'))

    op.drop_table('users')
