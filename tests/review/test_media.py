"""Playback copies: ffmpeg turns MediaRecorder's WebM into a seekable MP4; without it, the original."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sqlalchemy import select

from connector.models import Answer
from tests.review.conftest import add_user, sign_in

FFMPEG = shutil.which("ffmpeg")


def webm_clip(tmp_path, seconds=1) -> bytes:
    """A real VP8/Opus WebM, as MediaRecorder makes (no duration in its header)."""
    out = tmp_path / "clip.webm"
    subprocess.run([FFMPEG, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"testsrc=duration={seconds}:size=320x240:rate=15", "-f", "lavfi", "-i",
                    f"sine=duration={seconds}", "-c:v", "libvpx", "-c:a", "libopus",
                    str(out)], check=True)
    return out.read_bytes()


def duration_of(path) -> float:
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "json", str(path)], check=True, capture_output=True)
    return float(json.loads(probe.stdout)["format"]["duration"])


def answer_of(services, position) -> Answer:
    with services.db.session() as db:
        return db.scalar(select(Answer).where(Answer.position == position))


@pytest.fixture
def need_ffmpeg():
    from tests.conftest import need

    need("ffmpeg", FFMPEG is not None and shutil.which("ffprobe") is not None)


def test_a_webm_answer_gets_a_seekable_mp4_copy(client, services, candidate, need_ffmpeg,
                                                tmp_path):
    clip = webm_clip(tmp_path)
    half = len(clip) // 2
    assert candidate.record(1, [clip[:half], clip[half:]]).status_code == 200
    answer = answer_of(services, 1)
    assert answer.playback_mime == "video/mp4"
    copy = services.storage.path(answer.playback_key)
    assert copy.read_bytes()[4:8] == b"ftyp"
    assert 0.8 < duration_of(copy) < 1.5
    assert b"".join(services.storage.read(answer.storage_key)) == clip  # the original is kept

    add_user(services, "ana@acme.example")
    sign_in(client, "ana@acme.example")
    with services.db.session() as db:
        from connector.models import Interview
        public_id = db.scalars(select(Interview)).one().public_id
    served = client.get(f"/review/sessions/{public_id}/answers/1")
    assert served.mimetype == "video/mp4" and served.data[4:8] == b"ftyp"


def test_without_ffmpeg_reviewers_get_the_original(client, services, candidate, monkeypatch):
    from tests.candidate.conftest import WEBM

    monkeypatch.setattr("jobs.media.shutil.which", lambda name: None)
    assert candidate.record(1, [WEBM, b"x" * 100]).status_code == 200
    answer = answer_of(services, 1)
    assert answer.playback_key is None
    add_user(services, "ana@acme.example")
    sign_in(client, "ana@acme.example")
    with services.db.session() as db:
        from connector.models import Interview
        public_id = db.scalars(select(Interview)).one().public_id
    served = client.get(f"/review/sessions/{public_id}/answers/1")
    assert served.mimetype == "video/webm" and served.data == WEBM + b"x" * 100
