"""Server and worker processes the kill tests start, SIGKILL and start again.

Each one runs in a process group of its own, so `kill()` takes the gunicorn master with
its workers (or the Celery main process with its pool children) at once, the way the
kernel's OOM killer or a pulled plug would, and no stray child outlives a test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from qbsync.test import CeleryWorker


def wait_for(is_done: Callable[[], bool], seconds: float = 30, step: float = 0.05) -> bool:
    """Poll `is_done()` until it holds or `seconds` pass; the caller asserts on the result."""
    deadline = time.monotonic() + seconds
    while not is_done():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


class ProcessGroup:
    """One command started as the leader of a new process group, its output in a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            # The child keeps its own copy of the descriptor.
            self.process = subprocess.Popen(
                self.command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group and wait until no member is left."""
        if self.process is None:
            return
        pgid = self.process.pid  # the leader of a new session: its pid is the group id
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None
        # Children re-parented away from the leader die a moment later; wait for them.
        wait_for(lambda: not _group_alive(pgid), seconds=30)

    def stop(self) -> None:
        """End the group politely, then by force (always called from `finally`)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def database_url() -> str:
    """The test database, as a URL a subprocess's settings read."""
    database = settings.DATABASES["default"]
    return (
        f"postgres://{database['USER']}:{database['PASSWORD']}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )


class Gunicorn(ProcessGroup):
    """qbsync under gunicorn as deployed (the Dockerfile's CMD, `-c python:qbsync.gunicorn`).

    `env` adds to this process's environment; `on_test_database()` points the server at
    the test database and a broker.
    """

    def __init__(
        self, port: int, log: Path, workers: int = 2, env: dict[str, str] | None = None
    ) -> None:
        deployed = "gunicorn -c python:qbsync.gunicorn qbsync.wsgi:application"
        command = [sys.executable, "-m", *deployed.split()]
        bind = {"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
        super().__init__(command, {**os.environ, **bind, **(env or {})}, log)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    @classmethod
    def on_test_database(cls, port: int, broker_url: str, log: Path, workers: int = 2) -> Gunicorn:
        return cls(
            port,
            log,
            workers,
            {
                "DATABASE_URL": database_url(),
                # Persistent connections, as the deployment and the benchmarks run.
                "DATABASE_CONN_MAX_AGE": "60",
                "CELERY_BROKER_URL": broker_url,
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
            },
        )

    def start(self) -> None:
        if _port_open(self.port):
            raise RuntimeError(f"port {self.port} is taken: another server is listening")
        super().start()
        if not wait_for(self._answers, seconds=60, step=0.1):
            self.stop()
            raise RuntimeError(f"gunicorn did not start within 60 s:\n{self.output()}")

    def kill(self) -> None:
        super().kill()
        # The listening socket closes with its last holder; a restart needs the port.
        wait_for(lambda: not _port_open(self.port), seconds=30)

    def _answers(self) -> bool:
        if not self.is_running:
            raise RuntimeError(f"gunicorn exited:\n{self.output()}")
        try:
            with urllib.request.urlopen(self.url + "/", timeout=5) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class KillableWorker(ProcessGroup):
    """The compose worker command (`celery -A qbsync worker`, prefork pool) on one queue."""

    def __init__(self, broker_url: str, queue: str, log: Path, concurrency: int = 2) -> None:
        # CeleryWorker knows the environment a worker needs to reach the test database.
        env = CeleryWorker(broker_url, queue).env
        # docker-compose.yml's worker command, on a queue of the test's own.
        composed = f"celery -A qbsync worker --loglevel=INFO --concurrency={concurrency}"
        quiet = "--without-heartbeat --without-gossip --without-mingle"
        command = [sys.executable, "-m", *composed.split(), "-Q", queue, *quiet.split()]
        super().__init__(command, env, log)
