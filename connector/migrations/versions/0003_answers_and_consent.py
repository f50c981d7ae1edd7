"""answers, consent and pinned plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:46:30.362652
"""

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('video', 'audio', 'text', name='answerkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('recording', 'submitted', name='answerstatus', native_enum=False, length=32), nullable=False),
    sa.Column('take', sa.Integer(), nullable=False),
    sa.Column('retakes_used', sa.Integer(), nullable=False),
    sa.Column('take_finished', sa.Boolean(), nullable=False),
    sa.Column('writer_hash', sa.String(length=64), nullable=True),
    sa.Column('writer_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('container', sa.String(length=10), nullable=True),
    sa.Column('mime_type', sa.String(length=100), nullable=True),
    sa.Column('storage_key', sa.String(length=300), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['interview_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'position')
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_session_id'), ['session_id'], unique=False)

    op.create_table('answer_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('take', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('answer_id', 'take', 'index')
    )
    with op.batch_alter_table('answer_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_chunks_answer_id'), ['answer_id'], unique=False)

    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=50), nullable=True))

    with op.batch_alter_table('interview_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('template_version', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('reminder_hours', sa.Integer(), nullable=False,
                                      server_default='24'))
        batch_op.add_column(sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('consent_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('accommodation_request', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('accommodation_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('time_factor', sa.Float(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('extra_retakes', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('interview_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('welcome_video_url', sa.String(length=500), nullable=True))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_url', sa.String(length=500), nullable=True))

    _pin_plans()


def _pin_plans() -> None:
    """Give sessions created before plans existed the questions of their template as it is now."""
    bind = op.get_bind()
    sessions = sa.table('interview_sessions', sa.column('id'), sa.column('template_id'),
                        sa.column('plan', sa.JSON()))
    rows = bind.execute(sa.text(
        "SELECT id, template_id, position, prompt, prep_seconds, answer_seconds, retakes, "
        "answer_kind, max_characters, is_practice FROM questions ORDER BY template_id, position"
    )).mappings().all()
    plans: dict[int, list] = {}
    for row in rows:
        plans.setdefault(row["template_id"], []).append({
            "question_id": row["id"], "position": row["position"], "prompt": row["prompt"],
            "prep_seconds": row["prep_seconds"], "answer_seconds": row["answer_seconds"],
            "retakes": row["retakes"], "kind": row["answer_kind"],
            "max_characters": row["max_characters"], "is_practice": bool(row["is_practice"]),
        })
    for session_id, template_id in bind.execute(
            sa.text("SELECT id, template_id FROM interview_sessions")).all():
        bind.execute(sessions.update().where(sessions.c.id == session_id)
                     .values(plan=plans.get(template_id, [])))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('logo_url')

    with op.batch_alter_table('interview_templates', schema=None) as batch_op:
        batch_op.drop_column('welcome_video_url')

    with op.batch_alter_table('interview_sessions', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('extra_retakes')
        batch_op.drop_column('time_factor')
        batch_op.drop_column('accommodation_requested_at')
        batch_op.drop_column('accommodation_request')
        batch_op.drop_column('consent_text')
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consented_at')
        batch_op.drop_column('reminder_hours')
        batch_op.drop_column('template_version')
        batch_op.drop_column('plan')

    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consent_text')

    with op.batch_alter_table('answer_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_chunks_answer_id'))

    op.drop_table('answer_chunks')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_session_id'))

    op.drop_table('answers')
