"""Recording upload: a 200 MB answer in 1 MiB chunks over loopback, against a plain file copy.

Starts the connector under gunicorn (one sync worker, SQLite, recordings in a directory), invites
a candidate through a signed Greenhouse webhook, consents, and uploads the answer chunk by chunk
as the browser does, then submits it with its SHA-256 (the server joins the chunks and checks
it). Prints MB/s for the upload and for the submit, the worker's peak resident memory before
and after, and the same bytes copied with shutil on the same disk, measured in the same run.

  .venv/bin/python bench/upload.py [--megabytes 200] [--chunk-kib 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.greenhouse.adapter import GreenhouseAdapter  # noqa: E402
from config.gunicorn import CONTROL_SOCKET_OFF  # noqa: E402

FIXTURE = ROOT / "tests/adapters/greenhouse/fixtures/candidate_stage_change.json"
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "connector.cli", *args], env=env, cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "120", CONTROL_SOCKET_OFF, "connector.wsgi:app"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return server
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def worker_pid(server: subprocess.Popen) -> int:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return int(children[0])


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process has had, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


def invite(env: dict, base: str) -> str:
    """Install, send the stage move, and return the candidate's token."""
    printed = json.loads(run_cli(env, "install", "greenhouse", "--organization", "Bench",
                                 "--name", "Bench", "--trigger-stage", "Assessment",
                                 "--credential", "client_id=c", "--credential", "client_secret=s",
                                 "--credential", "user_id=1",
                                 "--api-base-url", "http://127.0.0.1:9"))
    body = FIXTURE.read_bytes()
    requests.post(printed["webhook_url"], data=body, timeout=10,
                  headers=GreenhouseAdapter.sign(body, printed["webhook_secret"])).raise_for_status()
    for _ in range(100):
        sessions = json.loads(run_cli(env, "sessions", "list", "--json"))
        if sessions:
            break
        time.sleep(0.1)
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as connection:  # a long answer limit, so 200 MB is within it
        plan = json.loads(connection.execute(text("SELECT plan FROM interview_sessions")).scalar())
        for question in plan:
            question["answer_seconds"] = 3600
        connection.execute(text("UPDATE interview_sessions SET plan = :plan"),
                           {"plan": json.dumps(plan)})
        token_row = connection.execute(text("SELECT token_encrypted FROM interview_sessions"))
        encrypted = token_row.scalar()
    engine.dispose()
    keys = env["SECRET_KEYS"].split(",")
    return Fernet(keys[0]).decrypt(encrypted.encode()).decode()


def consent(http: requests.Session, base: str, token: str) -> str:
    html = http.get(f"{base}/interview/{token}").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)[1]
    http.post(f"{base}/interview/{token}/consent", data={"agree": "yes", "csrf_token": csrf},
              allow_redirects=False).raise_for_status()
    return csrf


def make_answer(path: Path, size: int) -> str:
    """A file of `size` bytes that starts like WebM; returns its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        block = WEBM_MAGIC + os.urandom(1024 * 1024 - len(WEBM_MAGIC))
        written = 0
        while written < size:
            piece = block[:size - written]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
            block = os.urandom(1024 * 1024)
    return digest.hexdigest()


def upload(http, api: str, headers: dict, path: Path, chunk: int) -> tuple[int, float]:
    take = http.post(f"{api}/answers/1/takes", json={"mime_type": "video/webm"},
                     headers=headers).json()["take"]
    started = time.perf_counter()
    count = 0
    with path.open("rb") as source:
        while data := source.read(chunk):
            response = http.put(f"{api}/answers/1/takes/{take}/chunks/{count}", data=data,
                                headers={**headers, "Content-Type": "application/octet-stream"})
            response.raise_for_status()
            count += 1
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--chunk-kib", type=int, default=1024)
    args = parser.parse_args()
    size, chunk = args.megabytes * 1_000_000, args.chunk_kib * 1024

    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        tmp = Path(tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SMTP_URL")}
        env.update(CONNECTOR_DATA_DIR=str(tmp), DATABASE_URL=f"sqlite:///{tmp}/bench.db",
                   SECRET_KEYS=Fernet.generate_key().decode(), PUBLIC_BASE_URL=base,
                   RECORDINGS_URL=f"file://{tmp}/recordings", LOG_LEVEL="WARNING")
        run_cli(env, "db", "upgrade")
        server = start_server(env, port)
        try:
            answer = tmp / "answer.webm"
            sha = make_answer(answer, size)
            token = invite(env, base)
            http = requests.Session()
            csrf = consent(http, base, token)
            api = f"{base}/interview/{token}/api"
            headers = {"X-CSRFToken": csrf, "X-Writer": "bench-writer-0123456789"}
            pid = worker_pid(server)
            rss_before = peak_rss_mib(pid)
            chunks, upload_seconds = upload(http, api, headers, answer, chunk)
            started = time.perf_counter()
            http.post(f"{api}/answers/1/takes/1/submit", headers=headers, json={
                "chunks": chunks, "size": size, "sha256": sha}).raise_for_status()
            submit_seconds = time.perf_counter() - started
            rss_after = peak_rss_mib(pid)
        finally:
            server.terminate()
            server.wait()
        started = time.perf_counter()
        shutil.copyfile(answer, tmp / "copy.webm")
        os.sync()
        copy_seconds = time.perf_counter() - started
        report(size, chunks, upload_seconds, submit_seconds, copy_seconds, rss_before, rss_after)


def report(size, chunks, upload_s, submit_s, copy_s, rss_before, rss_after) -> None:
    mb = size / 1_000_000
    print(f"answer: {mb:.0f} MB in {chunks} chunks; cores: {os.cpu_count()}; "
          f"Python {sys.version.split()[0]}; SQLite, recordings in a directory")
    rows = [
        ("upload (PUT each chunk, loopback)", upload_s),
        ("submit (join chunks + SHA-256 check)", submit_s),
        ("upload + submit", upload_s + submit_s),
        ("plain copy of the same bytes (shutil)", copy_s),
    ]
    print("| step | seconds | MB/s |\n| --- | ---: | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {mb / seconds:.0f} |")
    print(f"\nupload + submit vs plain copy: {(mb / (upload_s + submit_s)) / (mb / copy_s):.2f}x "
          "the copy's throughput")
    print(f"server worker peak RSS: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after "
          f"({rss_after - rss_before:+.0f} MiB for a {mb:.0f} MB answer)")


if __name__ == "__main__":
    main()
