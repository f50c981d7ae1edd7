"""Make each recorded answer play and seek everywhere: MediaRecorder's WebM carries no duration
or index, and Safari does not play it. With ffmpeg installed, a job makes an MP4 copy with its
index at the front; without ffmpeg, or if it fails, reviewers get the original."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from connector.models import Answer, AnswerKind, AnswerStatus
from connector.services import current

log = logging.getLogger("connector.jobs")

FFMPEG_TIMEOUT = 600  # seconds; a 10-minute answer transcodes in well under that


def prepare_playback(answer_id: int) -> None:
    """Write the answer's playback copy, once; a no-op without ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    services = current()
    with services.db.session() as session:
        answer = session.get(Answer, answer_id)
        if ffmpeg is None or answer is None or answer.status is not AnswerStatus.SUBMITTED \
                or answer.playback_key or not answer.storage_key:
            return
        source_key, kind = answer.storage_key, answer.kind
    target_key = f"{source_key.rsplit('.', 1)[0]}.playback.mp4"
    with tempfile.TemporaryDirectory(prefix="playback-") as tmp:
        source, target = Path(tmp) / "source", Path(tmp) / "playback.mp4"
        with source.open("wb") as out:
            for block in services.storage.read(source_key):
                out.write(block)
        if not _convert(ffmpeg, source, target, kind):
            return
        with target.open("rb") as data:
            services.storage.write(target_key, data, max_bytes=target.stat().st_size + 1)
    with services.db.session() as session:
        answer = session.get(Answer, answer_id)
        if answer is None:  # erased while it was converted: the copy must not outlive it
            services.storage.delete([target_key])
            log.info("media.playback-dropped answer=%s reason=erased", answer_id)
            return
        answer.playback_key = target_key
        answer.playback_mime = "audio/mp4" if kind is AnswerKind.AUDIO else "video/mp4"
    log.info("media.playback-ready answer=%s", answer_id)


def _convert(ffmpeg: str, source: Path, target: Path, kind: AnswerKind) -> bool:
    """H.264/AAC in MP4 with the index first (+faststart), so players can seek at once."""
    video = ["-vn"] if kind is AnswerKind.AUDIO else [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
               *video, "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(target)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=FFMPEG_TIMEOUT)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log.warning("media.playback-failed error=%s", type(exc).__name__)
        return False
    return target.exists() and target.stat().st_size > 0
