"""Starting and stopping: a taken port is a clear error, and nothing outlives the stack."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from governed_assistant.local.cli import main
from governed_assistant.local.exceptions import PortInUseError
from governed_assistant.local.issuer import DevIssuer
from governed_assistant.local.stack import LocalStack, api_issuer
from governed_assistant.spec import load_spec
from governed_assistant.wire import LOCAL_ROUTES, ROUTES
from moto.core.config import default_user_config

from tests.conftest import REPO_ROOT


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port some other program is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_start_api_port_taken_raises_naming_port_and_option(project_dir: Path, taken_port: int) -> None:
    """A taken API port fails the start with the port, the option and the variable that change it."""
    with pytest.raises(PortInUseError) as failed, LocalStack.start(project_dir, port=taken_port):
        pass
    message = str(failed.value)
    assert f"port={taken_port}" in message and "--port" in message and "GOVERNED_LOCAL_API_PORT" in message
    assert "AWS_ENDPOINT_URL" not in os.environ or os.environ["AWS_ENDPOINT_URL"] != "started"


def test_start_moto_port_taken_raises_before_anything_else_runs(project_dir: Path, taken_port: int) -> None:
    """A taken moto port names the moto server and --moto-port."""
    with (
        pytest.raises(PortInUseError, match="--moto-port") as failed,
        LocalStack.start(project_dir, port=0, moto_port=taken_port),
    ):
        pass
    assert failed.value.server == "moto server" and failed.value.port == taken_port


def test_stop_restores_environment_and_closes_every_port(project_dir: Path) -> None:
    """After the stack stops, its variables, moto's config and sys.path are as before; no port answers."""
    before_env = dict(os.environ)
    before_config = dict(default_user_config["stepfunctions"])
    before_path = list(sys.path)
    with LocalStack.start(project_dir, port=0) as stack:
        assert os.environ["AWS_ENDPOINT_URL"] == stack.moto_url
        assert default_user_config["stepfunctions"] == {"execute_state_machine": True}
        ports = [int(url.rsplit(":", 1)[1]) for url in (stack.api_url, stack.moto_url, stack.lambda_url)]
        assert stack.bedrock_url is not None
        ports.append(int(stack.bedrock_url.rsplit(":", 1)[1]))
    assert dict(os.environ) == before_env
    assert default_user_config["stepfunctions"] == before_config
    assert sys.path == before_path
    assert all(_refused(port) for port in ports)


def test_cli_token_prints_a_token_the_dev_issuer_verifies(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`token` prints a token for the API port's issuer, with the tenant, user and roles given."""
    code = main(
        [
            "--project",
            str(project_dir),
            "token",
            "--tenant",
            "acme",
            "--user",
            "alice",
            "--roles",
            "agent,admin",
            "--port",
            "8123",
        ]
    )
    token = capsys.readouterr().out.strip()
    issuer = DevIssuer.for_spec(
        load_spec(project_dir / "assistant.yaml"), project_dir / ".local", issuer=api_issuer(8123)
    )
    context = issuer.verifier().verify(f"Bearer {token}")
    assert code == 0 and (context.tenant_id, context.user_id, context.roles) == (
        "acme",
        "alice",
        ("agent", "admin"),
    )


@pytest.mark.parametrize(
    ("tenant", "user", "roles", "said"),
    [
        pytest.param("acme", "alice", "agent,auditor", "unknown role auditor", id="undeclared-role"),
        pytest.param("acme", " ", "agent", "no user given", id="blank-user"),
        pytest.param("", "alice", "agent", "no tenant given", id="blank-tenant"),
    ],
)
def test_cli_token_refuses_what_the_api_would_refuse(
    project_dir: Path, capsys: pytest.CaptureFixture[str], tenant: str, user: str, roles: str, said: str
) -> None:
    """A token the API would reject later is refused now, with what to fix, and nothing printed to use."""
    argv = ["--project", str(project_dir), "token", "--tenant", tenant, "--user", user, "--roles", roles]
    code = main(argv)
    output = capsys.readouterr()
    assert (code, output.out) == (2, "")
    assert said in output.err
    if "role" in said:
        declared = load_spec(project_dir / "assistant.yaml").roles
        assert all(role in output.err for role in declared)


def test_make_token_takes_the_user_only_from_the_command_line() -> None:
    """`make token TENANT=acme` refuses although every shell sets USER (the login name)."""
    make = ["make", "-s", "-o", "install", "-C", str(REPO_ROOT / "template"), "token", "TENANT=acme"]
    refused = subprocess.run(
        make, capture_output=True, text=True, env={**os.environ, "USER": "root"}, check=False
    )
    assert refused.returncode == 2
    assert "USER are required" in refused.stdout
    # Given on the command line, the request reaches the token command (a missing venv here).
    passed_on = subprocess.run(
        [*make, "USER=alice", "VENV=/nonexistent"], capture_output=True, text=True, check=False
    )
    assert "/nonexistent/bin/python" in passed_on.stderr


def test_cli_trace_into_a_closed_pipe_ends_quietly(project_dir: Path) -> None:
    """`make trace | head` stops when head does: exit 0 and no BrokenPipeError traceback."""
    from governed_assistant.runtime.telemetry import SqliteEventStore

    from tests.runtime.telemetry.telemetry_harness import make_event

    (project_dir / ".local").mkdir(exist_ok=True)
    store = SqliteEventStore(project_dir / ".local" / "events.sqlite3")
    for index in range(3000):  # far more than a pipe holds, so the writer meets the closed end
        store.emit(make_event("job-long", seconds=index))
    store.flush()
    command = f"{sys.executable} -m governed_assistant.local --project {project_dir} trace job-long"
    result = subprocess.run(
        ["bash", "-c", f"{command} | head -n 1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        env=dict(os.environ),  # PYTHONPATH names components/ (tests/conftest.py)
        check=False,
    )
    assert result.stderr == ""
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 1


def test_cli_trace_unknown_job_says_so(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`trace` of a job with no events exits 1 and says there are none."""
    (project_dir / ".local").mkdir(exist_ok=True)
    from governed_assistant.runtime.telemetry import SqliteEventStore

    SqliteEventStore(project_dir / ".local" / "events.sqlite3")
    code = main(["--project", str(project_dir), "trace", "no-such-job"])
    assert code == 1 and "No decision events for job no-such-job" in capsys.readouterr().out


def test_cli_dev_interrupted_stops_cleanly_with_exit_zero(project_dir: Path) -> None:
    """`dev` prints its banner (routes, the OpenAPI document, live tenants, tokens and the approval
    flow's two), and Ctrl-C (SIGINT) stops it with exit status 0."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "governed_assistant.local",
            "--project",
            str(project_dir),
            "dev",
            "--port",
            "0",
            "--live",
            "acme",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),  # PYTHONPATH names components/ (tests/conftest.py)
    )
    assert process.stdout is not None
    banner = []
    for line in process.stdout:
        banner.append(line)
        if line.startswith("Stop with Ctrl-C"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    text = "".join(banner)
    assert process.returncode == 0, err
    assert "export TOKEN_ACME_ALICE=" in text and "export TOKEN_GLOBEX_GRACE=" in text
    assert "export TOKEN_REQUESTER=$TOKEN_ACME_ALICE TOKEN_APPROVER=$TOKEN_ACME_BOB" in text
    assert '"please issue refund"' in text and "live tenants   acme " in text
    assert "/openapi.json" in text and all(route in text for route in (*ROUTES, *LOCAL_ROUTES))
    assert re.search(r"console\s+http://127\.0\.0\.1:\d+/console#key=[\w-]{20,}\s", text), text
    assert "stopped." in out


def test_demo_with_its_own_state_dir_leaves_the_projects_trace_alone(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run given --state-dir (as the project's e2e test gives one) writes its jobs there only."""
    # The demo quiets the handlers' logs for the whole process; set here, the quiet ends with the test.
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    from governed_assistant.local.demo import run_demo
    from governed_assistant.runtime.telemetry import SqliteEventStore

    owners_store = project_dir / ".local" / "events.sqlite3"
    jobs_before = SqliteEventStore(owners_store).recent_job_ids() if owners_store.exists() else []
    # This bare project has no policies, so the job fails at the gate: it is recorded all the same.
    run_demo(project_dir, only=[1], state_dir=tmp_path / "state", out=io.StringIO())
    assert SqliteEventStore(tmp_path / "state" / "events.sqlite3").recent_job_ids()
    jobs_after = SqliteEventStore(owners_store).recent_job_ids() if owners_store.exists() else []
    assert jobs_after == jobs_before
