"""api tokens, sandbox board, template branding, secret rotation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:10:08.104001
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_organization_id'), ['organization_id'], unique=False)

    op.create_table('sandbox_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('installation_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.String(length=40), nullable=False),
    sa.Column('candidate_id', sa.String(length=40), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('job_title', sa.String(length=300), nullable=False),
    sa.Column('column', sa.String(length=50), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['installation_id'], ['installations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('installation_id', 'application_id')
    )
    with op.batch_alter_table('sandbox_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_cards_installation_id'), ['installation_id'], unique=False)

    op.create_table('sandbox_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['sandbox_cards.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sandbox_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_notes_card_id'), ['card_id'], unique=False)

    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_webhook_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_valid_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('interview_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('brand_color', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('consent_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=50), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('interview_templates', schema=None) as batch_op:
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consent_text')
        batch_op.drop_column('brand_color')
        batch_op.drop_column('logo_url')

    with op.batch_alter_table('installations', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_valid_until')
        batch_op.drop_column('previous_webhook_secret_encrypted')

    with op.batch_alter_table('sandbox_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_notes_card_id'))

    op.drop_table('sandbox_notes')
    with op.batch_alter_table('sandbox_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_cards_installation_id'))

    op.drop_table('sandbox_cards')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_organization_id'))

    op.drop_table('api_tokens')
