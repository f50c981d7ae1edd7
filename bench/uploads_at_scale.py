"""Many candidates uploading at once through the web process, next to a plain copy of the bytes.

Starts the web process as the Procfile does (gunicorn, WEB_CONCURRENCY sync workers, production
settings, the access log) on PostgreSQL and Redis, invites --candidates candidates and has each
consent and record one answer of --megabytes MB in --chunk-kib chunks through the interview API
(start the take, PUT every chunk, stop, submit with the SHA-256: the server joins the chunks and
checks it), all at once from as many threads. Prints the aggregate MB/s and each chunk's latency,
the web processes' resident memory sampled all along (idle, after 10 answers, after all), and
the same bytes copied file to file on the same disk (and synced) in the same run.

Needs PostgreSQL on 127.0.0.1:5432 and Redis (--redis-url or BENCH_REDIS_URL; that database is
emptied before and after). Recordings go to a temporary directory (--dir) that is deleted after.

  .venv/bin/python bench/uploads_at_scale.py [--candidates 100] [--megabytes 60] [--chunk-kib 1024]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.push_rate import REDIS_URL, database, load  # noqa: E402
from bench.upload import WEBM_MAGIC, free_port, make_answer  # noqa: E402
from adapters.events import Candidate, Event, EventKind  # noqa: E402
from config import Settings  # noqa: E402
from connector.installations import create_installation  # noqa: E402
from connector.interviews import handle_stage_change  # noqa: E402
from connector.models import Installation, Interview  # noqa: E402
from connector.services import install  # noqa: E402
from connector.wiring import build_services  # noqa: E402

STAGE = "Assessment"
SAMPLE_SECONDS = 0.25


def web_command(port: int) -> list[str]:
    """The Procfile's web line, bound to loopback on `port`."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines()
                if line.startswith("web:"))
    words = [w for w in shlex.split(line.removeprefix("web:"))
             if not re.match(r"[A-Z_]+=", w)]  # the environment is set below, not on the line
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    return [sys.executable, "-m"] + [
        w.replace("$PORT", str(port)).replace("${WEB_CONCURRENCY:-3}", workers)
        .replace("0.0.0.0", "127.0.0.1") for w in words]


def start_web(env: dict, port: int) -> subprocess.Popen:
    log = (Path(env["CONNECTOR_DATA_DIR"]) / "web.log").open("w")
    server = subprocess.Popen(web_command(port), env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=log)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    server.terminate()
    log.close()
    raise SystemExit("the web process did not start:\n" + Path(log.name).read_text()[-2000:])


def invite(services, count: int) -> list[tuple[str, int]]:
    """`count` invited candidates with a long answer limit: link token, first recorded question."""
    with services.db.session() as session:
        installation, _ = create_installation(
            session, services.keyring, ats="greenhouse", organization="Bench", name="Bench",
            trigger_stages=[STAGE], template_id=None, api_base_url=None,
            credentials={"client_id": "c", "client_secret": "s", "user_id": "1"},
            strict_hosts=False)
        installation = session.get(Installation, installation.id)
        for n in range(count):
            event = Event(EventKind.STAGE_CHANGED, "candidate_stage_change", str(90000 + n),
                          Candidate(str(80000 + n), "Bench", str(n), f"c{n}@example.com"),
                          stage_id="1", stage_name=STAGE)
            handle_stage_change(session, services.keyring, "https://connector.bench",
                                installation, event)
        tabs = []
        for interview in session.query(Interview).all():
            interview.plan = [dict(q, answer_seconds=3600) for q in interview.plan]
            position = next(q["position"] for q in interview.plan
                            if not q["is_practice"] and q["kind"] == "video")
            tabs.append((services.keyring.decrypt(interview.token_encrypted), position))
        return tabs


class Tab:
    """One candidate's tab: consent, then one answer chunk by chunk, timing each chunk."""

    def __init__(self, base: str, token: str, position: int):
        self.http, self.base, self.token, self.position = requests.Session(), base, token, position
        self.latencies: list[float] = []

    def consent(self) -> None:
        page = self.http.get(f"{self.base}/interview/{self.token}")
        # The session cookie is Secure (production) and this is loopback http: send it as is.
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in page.cookies)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
        self.http.post(f"{self.base}/interview/{self.token}/consent", allow_redirects=False,
                       data={"agree": "yes", "csrf_token": self.csrf},
                       headers={"Cookie": self.cookie}).raise_for_status()

    def record(self, answer: memoryview, chunk: int, sha256: str) -> None:
        api = f"{self.base}/interview/{self.token}/api/answers/{self.position}/takes"
        headers = {"X-CSRFToken": self.csrf, "X-Writer": f"bench-writer-{self.token[:12]}",
                   "Cookie": self.cookie}
        take = self._ok(self.http.post(api, json={"mime_type": "video/webm"},
                                       headers=headers))["take"]
        count = 0
        for count, start in enumerate(range(0, len(answer), chunk), 1):
            started = time.perf_counter()
            self._ok(self.http.put(f"{api}/{take}/chunks/{count - 1}",
                                   data=answer[start:start + chunk],
                                   headers={**headers, "Content-Type": "application/octet-stream"}))
            self.latencies.append(time.perf_counter() - started)
        self._ok(self.http.post(f"{api}/{take}/stop", headers=headers))
        self._ok(self.http.post(f"{api}/{take}/submit", headers=headers, json={
            "chunks": count, "size": len(answer), "sha256": sha256}))

    @staticmethod
    def _ok(response: requests.Response) -> dict:
        if response.status_code >= 300:
            raise SystemExit(f"{response.request.method} {response.status_code}: "
                             f"{response.text[:200]}")
        return response.json()


class Memory:
    """The web processes' resident memory, sampled on a thread: the latest total and the peak."""

    def __init__(self, master: int):
        self.master, self.total, self.peak = master, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        return [self.master, *map(int, children)]

    def sample(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) * 1024
        self.total, self.peak = total, max(self.peak, total)
        return total

    def cpu_seconds(self) -> float:
        """User and system CPU the web processes have used so far."""
        ticks = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def worker_peak(self) -> int:
        """The most any one web worker has held (VmHWM), in bytes."""
        return max(int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status")
                                 .read_text())[1]) * 1024 for pid in self.pids()[1:])

    def start(self) -> Memory:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()


def upload_all(base: str, tabs: list[tuple[str, int]], answer: memoryview, sha256: str,
               chunk: int, memory: Memory) -> dict:
    """Every candidate records at once; memory noted when none, 10 and all answers are in."""
    candidates = [Tab(base, token, position) for token, position in tabs]
    with ThreadPoolExecutor(len(candidates)) as pool:
        list(pool.map(Tab.consent, candidates))
    marks = {"idle": (memory.sample(), memory.peak, memory.worker_peak())}
    done, lock = [0], threading.Lock()

    def one(tab: Tab) -> None:
        tab.record(answer, chunk, sha256)
        with lock:
            done[0] += 1
            if done[0] in (10, len(candidates)):
                marks[f"after {done[0]} answers"] = (memory.sample(), memory.peak,
                                                      memory.worker_peak())

    started, cpu, client = time.perf_counter(), memory.cpu_seconds(), time.process_time()
    with ThreadPoolExecutor(len(candidates)) as pool:
        list(pool.map(one, candidates))
    seconds, cpu = time.perf_counter() - started, memory.cpu_seconds() - cpu
    client = time.process_time() - client
    latencies = sorted(t for tab in candidates for t in tab.latencies)
    return {"seconds": seconds, "cpu": cpu, "client": client, "marks": marks,
            "chunks": len(latencies), "p50": latencies[len(latencies) // 2], "p95": latencies[int(len(latencies) * 0.95)],
            "max": latencies[-1]}


def plain_copy(source: Path, count: int, into: Path) -> float:
    """Seconds to copy `source` `count` times into `into` and have it all on the disk."""
    into.mkdir()
    started = time.perf_counter()
    for n in range(count):
        shutil.copyfile(source, into / f"copy-{n}")
    os.sync()
    return time.perf_counter() - started


def run(args) -> dict:
    size, chunk = args.megabytes * 1_000_000, args.chunk_kib * 1024
    with database(args.redis_url) as url, tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        secret = Fernet.generate_key().decode()
        env = dict(os.environ, CONNECTOR_ENV="production", DATABASE_URL=url,
                   REDIS_URL=args.redis_url, SECRET_KEYS=secret, CONNECTOR_DATA_DIR=str(tmp),
                   PUBLIC_BASE_URL="https://connector.bench", SMTP_URL="smtp://127.0.0.1:9",
                   MAIL_FROM="bench@connector.bench", RECORDINGS_URL=f"file://{tmp}/recordings",
                   LOG_LEVEL="WARNING", SANDBOX="off")
        services = install(build_services(Settings(
            env="test", database_url=url, redis_url=args.redis_url, secret_keys=(secret,),
            data_dir=tmp)))
        tabs = invite(services, args.candidates)
        services.close()
        source = tmp / "answer.webm"
        sha256 = make_answer(source, size)
        answer = memoryview(source.read_bytes())
        assert answer[:4] == WEBM_MAGIC
        port = free_port()
        server = start_web(env, port)
        try:
            memory = Memory(server.pid).start()
            result = upload_all(f"http://127.0.0.1:{port}", tabs, answer, sha256, chunk, memory)
            memory.stop()
            result["peak"] = memory.peak
        finally:
            server.terminate()
            server.wait(timeout=60)
        stored = sum(p.stat().st_size for p in (tmp / "recordings").rglob("*") if p.is_file())
        shutil.rmtree(tmp / "recordings")
        os.sync()
        result["copy"] = plain_copy(source, args.candidates, tmp / "copies")
        result["stored"], result["bytes"] = stored, size * args.candidates
    return result


def report(args, result: dict, loads: tuple[str, str]) -> None:
    mb, mib = result["bytes"] / 1_000_000, 1024 * 1024
    print(f"{args.candidates} candidates x {args.megabytes} MB in {args.chunk_kib} KiB chunks "
          f"({result['chunks']} chunks); web: {' '.join(web_command(0)[4:])}; "
          f"{os.cpu_count()} cores; "
          f"load before {loads[0]}, after {loads[1]}")
    print(f"answers stored on disk: {result['stored'] / 1_000_000:.0f} MB of {mb:.0f} MB sent")
    print("| | seconds | MB/s |\n| --- | ---: | ---: |")
    upload_rate, copy_rate = mb / result["seconds"], mb / result["copy"]
    print(f"| uploads (start, chunks, stop, submit), all at once | {result['seconds']:.1f} | "
          f"{upload_rate:.0f} |")
    print(f"| plain copy of the same bytes, same disk, then sync | {result['copy']:.1f} | "
          f"{copy_rate:.0f} |")
    print(f"uploads / plain copy: {upload_rate / copy_rate:.2f}")
    for who, cpu in (("web processes", result["cpu"]), ("uploading threads", result["client"])):
        print(f"{who}' CPU: {cpu:.1f} s, {cpu * 1000 / result['chunks']:.1f} ms a chunk, "
              f"{cpu / result['seconds']:.2f} of a core")
    print(f"chunk latency: p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, "
          f"max {result['max'] * 1000:.0f} ms")
    print("| web processes' memory | total RSS | peak total RSS | largest worker peak |\n"
          "| --- | ---: | ---: | ---: |")
    for mark, (total, peak, worker) in result["marks"].items():
        print(f"| {mark} | {total / mib:.0f} MiB | {peak / mib:.0f} MiB | {worker / mib:.0f} MiB |")
    print(f"peak total RSS over the run: {result['peak'] / mib:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--megabytes", type=int, default=60)
    parser.add_argument("--chunk-kib", type=int, default=1024)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--dir", help="where the temporary directory goes (default: the system's)")
    args = parser.parse_args()
    need = 3 * args.candidates * args.megabytes * 1_000_000
    free = shutil.disk_usage(args.dir or tempfile.gettempdir()).free
    if free < need:
        raise SystemExit(f"needs {need / 1e9:.1f} GB free on disk, has {free / 1e9:.1f} GB")
    before = load()
    result = run(args)
    report(args, result, (before, load()))


if __name__ == "__main__":
    main()
