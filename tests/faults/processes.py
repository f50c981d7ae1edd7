"""Real processes a fault test starts, kills and restarts: redis-server, workers, gunicorn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from config.gunicorn import CONTROL_SOCKET_OFF
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKER = "from connector.cli import main; main(['worker'])"


def wait_for(condition, timeout: float, what: str, every: float = 0.1):
    """The condition's first true value, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


class RedisServer:
    """A redis-server of the test's own, on its own port, with nothing kept on disk."""

    def __init__(self, directory: Path):
        self.port, self.directory, self.process = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis(port=self.port)
        wait_for(lambda: _pings(client), 10, "redis-server to answer")
        return self

    def stop(self) -> None:
        """Gone at once, and everything it held with it (as a restart without persistence)."""
        self.process.kill()
        self.process.wait()

    def client(self) -> Redis:
        return Redis(port=self.port)


def _pings(client: Redis) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


class Workers:
    """`connector worker` processes with one environment; each log in its own file."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir = env, log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            log = (self.log_dir / f"worker-{len(self.processes) + 1}.log").open("w")
            process = subprocess.Popen([sys.executable, "-c", WORKER], env=self.env, cwd=ROOT,
                                       stdout=log, stderr=subprocess.STDOUT)
            log.close()
            self.processes.append(process)
            started.append(process)
        return started

    def running(self) -> list[subprocess.Popen]:
        return [p for p in self.processes if p.poll() is None]

    def stop(self) -> None:
        for process in self.running():
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_gunicorn(env: dict[str, str], log_path: Path, workers: int = 2):
    """The web as production runs it (30 s worker timeout); returns (process, base URL)."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--timeout", "30", CONTROL_SOCKET_OFF, "connector.wsgi:app"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), 30, "gunicorn to answer", every=0.2)
    except AssertionError:
        stop(process)
        raise
    return process, url


def _answers(url: str) -> bool:
    import requests

    try:
        requests.get(url + "/healthz", timeout=1)
        return True
    except requests.RequestException:
        return False


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
