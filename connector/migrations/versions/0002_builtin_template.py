"""seed the built-in interview template

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:20:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Literal copies: a migration is history and must not change when the code does.
QUESTIONS = [
    ("Practice: tell us what you had for breakfast. This answer is never stored or shown.", True),
    ("Tell us about yourself and what draws you to this role.", False),
    ("Describe a problem you solved recently. What did you do, and what was the result?", False),
    ("Tell us about a time you worked with someone whose view differed from yours.", False),
]


def upgrade() -> None:
    templates = sa.table(
        "interview_templates",
        sa.column("id", sa.Integer), sa.column("organization_id", sa.Integer),
        sa.column("name", sa.String), sa.column("version", sa.Integer),
        sa.column("is_builtin", sa.Boolean), sa.column("deadline_hours", sa.Integer),
        sa.column("reminder_hours", sa.Integer), sa.column("welcome_text", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    questions = sa.table(
        "questions",
        sa.column("template_id", sa.Integer), sa.column("position", sa.Integer),
        sa.column("prompt", sa.Text), sa.column("prep_seconds", sa.Integer),
        sa.column("answer_seconds", sa.Integer), sa.column("retakes", sa.Integer),
        sa.column("answer_kind", sa.String), sa.column("max_characters", sa.Integer),
        sa.column("is_practice", sa.Boolean),
    )
    connection = op.get_bind()
    template_id = connection.execute(
        templates.insert().returning(templates.c.id),
        {
            "organization_id": None, "name": "Default screen", "version": 1,
            "is_builtin": True, "deadline_hours": 72, "reminder_hours": 24,
            "welcome_text": "Thank you for your interest. This short video interview takes "
                            "about fifteen minutes, and you can record it whenever suits you.",
            "created_at": datetime.now(UTC),
        },
    ).scalar_one()
    op.bulk_insert(questions, [
        {"template_id": template_id, "position": position, "prompt": prompt,
         "prep_seconds": 30, "answer_seconds": 120, "retakes": 1, "answer_kind": "video",
         "max_characters": None, "is_practice": practice}
        for position, (prompt, practice) in enumerate(QUESTIONS)
    ])


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text(
        "DELETE FROM questions WHERE template_id IN "
        "(SELECT id FROM interview_templates WHERE is_builtin)"))
    connection.execute(sa.text("DELETE FROM interview_templates WHERE is_builtin"))
