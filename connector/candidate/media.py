"""What a recording is made of and where its bytes are kept: the containers MediaRecorder
produces, and each chunk's and each joined answer's key in storage."""

from __future__ import annotations

from connector.models import Answer, Interview

MIME_TYPES = {  # what MediaRecorder produces: WebM on Chrome and Firefox, MP4 on Safari
    "video/webm": "webm", "audio/webm": "webm", "video/mp4": "mp4", "audio/mp4": "mp4",
}


def container_of(head: bytes) -> str | None:
    """WebM starts with the EBML magic number; MP4 has "ftyp" at byte 4 (ISO/IEC 14496-12)."""
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return "mp4"
    return None


def chunk_key(interview: Interview, answer: Answer, index: int) -> str:
    return f"{_prefix(interview, answer)}/take-{answer.take}/chunk-{index:05d}"


def answer_key(interview: Interview, answer: Answer) -> str:
    return f"{_prefix(interview, answer)}/answer-take-{answer.take}.{answer.container}"


def _prefix(interview: Interview, answer: Answer) -> str:
    return f"{interview.installation_id}/{interview.public_id}/q{answer.position}"
