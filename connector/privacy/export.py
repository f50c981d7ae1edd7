"""A candidate's copy of their data: a ZIP of record.json and their recordings, on disk."""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import datetime
from typing import IO

from connector.models import Answer, AnswerStatus, Interview
from connector.privacy.notice import notice_of
from connector.storage import Storage

RECORD = "record.json"
NOT_INCLUDED = (
    "The hiring team's scores and comments are {company}'s own evaluation of the interview, "
    "not data you gave, and are not part of this copy. Ask {company} about them.")


def export_zip(storage: Storage, interview: Interview) -> IO[bytes]:
    """The ZIP in a temporary file, rewound; recordings stream through in blocks, unsqueezed."""
    spool = tempfile.TemporaryFile()
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            archive.writestr(RECORD, json.dumps(record_of(interview), indent=2,
                                                ensure_ascii=False),
                             compress_type=zipfile.ZIP_DEFLATED)
            for answer in _recorded(interview):
                # Video and audio are compressed already: stored, not deflated again.
                with archive.open(zipfile.ZipInfo(recording_name(answer)), "w",
                                  force_zip64=True) as member:
                    for block in storage.read(answer.storage_key):
                        member.write(block)
        spool.seek(0)
        return spool
    except BaseException:
        spool.close()
        raise


def record_of(interview: Interview) -> dict:
    """What is stored about the candidate in this interview, as plain data."""
    notice = notice_of(interview)
    prompts = {q["position"]: q for q in interview.plan}
    return {
        "interview": interview.public_id,
        "name": interview.candidate_name,
        "email": interview.candidate_email,
        "job": interview.job_title,
        "company": notice.controller,
        "privacy_contact": notice.contact,
        "state": interview.state.value,
        "dates": {"invited": _iso(interview.created_at), "deadline": _iso(interview.deadline_at),
                  "started": _iso(interview.started_at),
                  "completed": _iso(interview.completed_at),
                  "settled": _iso(interview.settled_at)},
        "consent": {"text": interview.consent_text, "version": interview.consent_version,
                    "agreed_at": _iso(interview.consented_at)},
        "accommodation": {"request": interview.accommodation_request,
                          "requested_at": _iso(interview.accommodation_requested_at)},
        "answers": [_answer(answer, prompts.get(answer.position, {}))
                    for answer in interview.answers],
        "retention": {"days": notice.retention_days,
                      "counted_from": "when the interview is decided, expired or cancelled",
                      "delete_after": _iso(notice.delete_after),
                      "erasure_requested_for": _iso(interview.erasure_due_at)},
        "not_included": NOT_INCLUDED.format(company=notice.controller),
    }


def recording_name(answer: Answer) -> str:
    return f"recordings/question-{answer.position}.{answer.container or 'bin'}"


def _recorded(interview: Interview) -> list[Answer]:
    return [a for a in interview.answers
            if a.status is AnswerStatus.SUBMITTED and a.storage_key]


def _answer(answer: Answer, question: dict) -> dict:
    recorded = answer.status is AnswerStatus.SUBMITTED and bool(answer.storage_key)
    return {
        "question": answer.position, "prompt": question.get("prompt"),
        "kind": answer.kind.value, "status": answer.status.value, "take": answer.take,
        "submitted_at": _iso(answer.submitted_at), "duration_ms": answer.duration_ms,
        "mime_type": answer.mime_type, "size_bytes": answer.size_bytes if recorded else None,
        "sha256": answer.sha256 if recorded else None,
        "file": recording_name(answer) if recorded else None, "text": answer.text,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
