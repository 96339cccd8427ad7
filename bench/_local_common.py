"""Shared pieces of the local-stack benchmarks: render a project, drive its stack, call its API.

The stack runs in a child process (``_local_driver.py``) so the benchmark's client threads never
share the server's interpreter lock: what the clients measure is the server's latency.
"""

from __future__ import annotations

import http.client
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
COPIER = REPO_ROOT / ".venv" / "bin" / "copier"
DRIVER = Path(__file__).resolve().parent / "_local_driver.py"
TERMINAL = frozenset({"complete", "failed", "rejected"})


def render(target: Path, preset: str | None = None) -> float:
    """``copier copy --defaults`` of this repository's HEAD into ``target``; returns the seconds it took."""
    command = [str(COPIER), "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD"]
    if preset:
        command += ["--data", f"preset={preset}"]
    started = time.perf_counter()
    subprocess.run([*command, str(REPO_ROOT), str(target)], check=True, capture_output=True)
    return time.perf_counter() - started


class Driver:
    """The project's local stack in a child process; ``ready`` is the driver's first line."""

    def __init__(self, project: Path, log: IO[str] | None = None, options: Sequence[str] = ()) -> None:
        self.spawned = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, str(DRIVER), "--project", str(project), *options],
            cwd=project,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log if log is not None else subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        # Both pipes exist: the command above asks for them.
        self._stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        self._stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        self.ready: dict[str, Any] = self._read()
        self.ready_after = time.perf_counter() - self.spawned
        self.api_url: str = self.ready["api_url"]

    def _read(self) -> dict[str, Any]:
        line = self._stdout.readline()
        if not line:
            code = self.process.wait(timeout=30)
            raise RuntimeError(f"the driver exited with status {code} before answering; see its log")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self._stdin.write(json.dumps(request) + "\n")
        self._stdin.flush()
        return self._read()

    def token(self, tenant: str, user: str, roles: Sequence[str]) -> str:
        token: str = self._ask({"token": [tenant, user, list(roles)]})["token"]
        return token

    def phases(self) -> dict[str, list[float]]:
        """The driver's ``--phase-timing`` samples since the last call (empty without the option)."""
        phases: dict[str, list[float]] = self._ask({"phases": True})["phases"]
        return phases

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self._stdin.write(json.dumps({"stop": True}) + "\n")
                self._stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


class Api:
    """One caller of the API (one token); a new connection per call, as the demo's client makes."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=headers)
            answer = connection.getresponse()
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
        finally:
            connection.close()

    def send(self, message: str) -> tuple[int, Any]:
        return self.call("POST", "/messages", {"message": message})

    def job(self, job_id: str) -> dict[str, Any]:
        status, body = self.call("GET", f"/jobs/{job_id}")
        if status != 200:
            raise RuntimeError(f"GET /jobs/{job_id} answered {status} {body}")
        job: dict[str, Any] = body
        return job

    def wait(
        self, job_id: str, until: frozenset[str] = TERMINAL, poll: float = 0.02, timeout: float = 120.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in until:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout:.0f} s")
            time.sleep(poll)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"
