"""Lifecycle test helpers: invite a candidate, record answers, run the jobs at a chosen time."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from connector import lifecycle
from connector.models import (
    Answer,
    AnswerChunk,
    AnswerKind,
    AnswerStatus,
    Email,
    Interview,
    Push,
    utcnow,
)
from jobs.lifecycle import enqueue_rows
from tests.conftest import fixture_body, signed_post

STAGE_CHANGE = fixture_body("greenhouse", "candidate_stage_change")
BASE_URL = "https://connector.test"


@dataclass
class Invited:
    public_id: str
    deadline: datetime
    link: str

    @property
    def path(self) -> str:
        return self.link.removeprefix(BASE_URL)


def link_in(text: str) -> str:
    return re.search(r"https://connector\.test/interview/[A-Za-z0-9_-]+", text)[0]


def invite(client, services, installation, event_id: str = "evt-1") -> Invited:
    """Move the documented candidate into the trigger stage; the session and its link."""
    assert signed_post(client, installation, STAGE_CHANGE, event_id).status_code == 200
    with services.db.session() as session:
        interview = session.scalars(select(Interview)
                                    .order_by(Interview.id.desc())).first()
        email = session.scalar(select(Email).where(Email.session_id == interview.id,
                                                   Email.kind == "invitation"))
        return Invited(interview.public_id, interview.deadline_at, link_in(email.text_body))


def interview_of(services, public_id: str) -> Interview:
    with services.db.session() as session:
        return session.scalar(select(Interview)
                              .where(Interview.public_id == public_id))


def change(services, public_id: str, **values) -> None:
    """Set columns of a session directly, as the candidate's pages or an earlier job would."""
    with services.db.session() as session:
        interview = session.scalar(select(Interview)
                                   .where(Interview.public_id == public_id))
        for name, value in values.items():
            setattr(interview, name, value)


def add_answer(services, public_id: str, position: int, key: str | None = None,
               status: AnswerStatus = AnswerStatus.SUBMITTED, content: bytes = b"webm") -> int:
    """An answer row (with one chunk row), and its file in storage when a key is given."""
    if key:
        services.storage.write(key, io.BytesIO(content), max_bytes=1000)
    with services.db.session() as session:
        interview = session.scalar(select(Interview)
                                   .where(Interview.public_id == public_id))
        answer = Answer(session_id=interview.id, position=position, kind=AnswerKind.VIDEO,
                        status=status, storage_key=key, size_bytes=len(content),
                        submitted_at=utcnow() if status is AnswerStatus.SUBMITTED else None)
        session.add(answer)
        session.flush()
        session.add(AnswerChunk(answer_id=answer.id, take=1, index=0, size=len(content),
                                sha256=hashlib.sha256(content).hexdigest()))
        return answer.id


def tick(services, now: datetime) -> None:
    """What the reminder and expiry jobs do, at the time the test says it is."""
    with services.db.session() as session:
        emails = lifecycle.send_reminders(session, services.keyring, BASE_URL, now)
        pushes = lifecycle.expire_due(session, now)
        email_ids, push_ids = [e.id for e in emails], [p.id for p in pushes]
    enqueue_rows(services.queue, email_ids, push_ids)


def rows(services, model, **where) -> list:
    with services.db.session() as session:
        query = select(model).filter_by(**where).order_by(model.id)
        return session.scalars(query).all()


def emails(services, kind: str) -> list[Email]:
    return rows(services, Email, kind=kind)


def pushes(services, kind: str) -> list[Push]:
    return rows(services, Push, kind=kind)
