"""Every shell command of a rendered project's README, and of its `make dev` banner, works as written.

One project is rendered with copier the way a new user renders their own assistant: their own
actions and hyphenated roles, a multi-step action that waits for approval, an OIDC issuer, three
stacks, pgvector. Every command of the README's ```sh blocks either matches one entry of RUN_HERE
and is run here, or its exact text is in NOT_RUN_HERE with the reason and what the test does in
its place; a command in neither fails, so a new README command cannot go untested. The banner's
commands (under "Try") are held to BANNER_RUNS the same way.

"As written" allows only this: the stack listens on a free port instead of 8080 (the curl URLs
get that port, and `make dev` and the README's `make token` read it from GOVERNED_LOCAL_API_PORT);
`make` uses the template's .venv (VENV in the environment, as the other template tests pass it);
copier is on PATH (the user installed it to copy the template); and the ids the answers give are
put in for `<jobId>` and `<approvalId>`, as the README says. The banner's own commands run without
GOVERNED_LOCAL_API_PORT: they name the port themselves.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from governed_assistant.runtime.retrieval import local_postgres_status

from tests.conftest import skip_or_fail_in_ci
from tests.template.conftest import GIT_IDENTITY, SHARED_VENV, commit_all, render
from tests.template.doc_commands import PLACEHOLDER, Command, banner_commands, classify, readme_commands

ANSWERS: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "field-service-answers.yml").read_text())
STACKS: list[str] = ANSWERS["stacks"]
# The multi-step action, whose risk (0.6) waits for approval: the README's approval flow asks for it.
(GATED,) = [action for action in ANSWERS["actions"] if action.get("steps")]
# The roles the README's `make token` must name: one that acts and one that approves.
TOKEN_ROLES = ["field-agent", "ops-lead"]

README_URL = "http://127.0.0.1:8080"
URL = re.escape(README_URL)
# README commands run here as written, by name: the pattern each one's text matches in full.
RUN_HERE = {
    "dev": r'make dev ARGS="--samples --live acme"',
    "token": r"make token TENANT=acme USER=\w+ ROLES=\S+",
    "trace": r"make trace JOB=<jobId>",
    "help": r"make help",
    "ask": rf"curl -s -X POST {URL}/messages .*\$TOKEN_ACME_ALICE.*",
    "read": rf"curl -s {URL}/jobs/<jobId> .*\$TOKEN_ACME_ALICE.*",
    "follow": rf"curl -sN {URL}/jobs/<jobId>/events .*\$TOKEN_ACME_ALICE.*",
    "request": rf"curl -s -X POST {URL}/messages .*\$TOKEN_REQUESTER.*",
    "pending": rf"curl -s {URL}/approvals .*\$TOKEN_APPROVER.*",
    "decide": rf"curl -s -X POST {URL}/approvals/<approvalId> .*\$TOKEN_APPROVER.*",
    "outcome": rf"curl -s {URL}/jobs/<jobId> .*\$TOKEN_REQUESTER.*",
    "preview": rf"make preview STACK={STACKS[0]}",
    "commit": r"git add -A && git commit .*",
    "update": r"copier update --trust.*",
    "scaffold": r"make scaffold",
    "lock": r"make lock",
}


@dataclass(frozen=True)
class NotRun:
    """Why a README command does not run here, and what the test does in its place."""

    reason: str
    instead: str


NOT_RUN_HERE = {
    "make test": NotRun(
        "the project's whole suite and lint take minutes, and other tests run them in projects "
        "rendered the same way",
        "nothing here: test_render.py runs `make test` for every preset and retrieval backend "
        "(pgvector with OIDC among them), test_update.py after each update",
    ),
    "make dev": NotRun(
        "one stack per run: the approval section's `make dev ARGS=...` starts the same target with "
        "options, and the Try-it commands meant for this one need neither option",
        "the Try-it commands run against the approval section's stack",
    ),
    "make demo": NotRun(
        "eight scenarios on a stack of their own (a minute); the project's tests/test_e2e.py runs "
        "the same `python -m governed_assistant.local demo` in test_render.py's `make test`",
        "`make -n demo` must show that command",
    ),
    f"pulumi stack init {STACKS[0]}": NotRun(
        "needs the Pulumi CLI and a Pulumi backend, neither of which exists here (DESIGN.md)",
        f"Pulumi.{STACKS[0]}.yaml, the settings the comment names, holds config for Pulumi.yaml's project",
    ),
    f"make up STACK={STACKS[0]}": NotRun(
        "needs the Pulumi CLI and AWS credentials; with a fake pulumi it would only build the "
        "layer again (40 s) to record one more call",
        f"`make -n up STACK={STACKS[0]}` must show the build and `pulumi up -s {STACKS[0]}` with "
        "the policy pack; `make preview` runs that build for real before a recording fake pulumi",
    ),
    "make security-report": NotRun(
        "it reads a whole `make test` run's results, and that run takes minutes",
        "tests/template/test_security_report.py runs `make test`, then `make security-report`, in a "
        "project rendered the same way, and holds the document to the run",
    ),
    **{
        f"pulumi config set -s {STACKS[0]} --path 'approvalSubscriptions[0].{key}' {value}": NotRun(
            "needs the Pulumi CLI and a Pulumi backend, neither of which exists here (DESIGN.md)",
            "tests/infra/test_approval_subscriptions.py reads these three lines from the template's "
            "README, sets what they set as the stack's config and runs the program under mocks: one "
            "subscription, filtered to acme",
        )
        for key, value in (
            ("tenantId", "acme"),
            ("protocol", "email"),
            ("endpoint", "approvers@acme.example"),
        )
    },
    **{
        command: NotRun(
            "erasing acme would take away the data the other commands read, on the one stack this test runs",
            "tests/erasure/test_makefile.py runs these three lines of the README with the template's "
            "Makefile (a stand-in pulumi giving the stack's outputs), and tests/erasure/test_local_stack.py "
            "erases a running local stack's tenant through the same CLI",
        )
        for command in (
            f"make erase-tenant TENANT=acme STACK={STACKS[0]} DRY_RUN=1",
            f"make erase-tenant TENANT=acme STACK={STACKS[0]} CONFIRM=acme",
            "make erase-tenant TENANT=acme STACK=local CONFIRM=acme",
        )
    },
}
# The banner's commands, run here as written.
BANNER_RUNS = {
    "ask": r"curl -s -X POST http://127\.0\.0\.1:\d+/messages .*\$TOKEN_ACME_ALICE.*",
    "trace": r"make trace JOB=<jobId>",
    "token": r'make token TENANT=acme USER=\w+ ROLES=\S+ ARGS="--port \d+"',
    "ingest": r'\S+/python -m governed_assistant\.runtime\.retrieval\.ingest --dsn "[^"]+" '
    r"--tenant acme <folder>",
}
BANNER_DEADLINE_SECONDS = 300  # `make dev` installs the pinned package first, from the clone


@pytest.fixture(scope="module")
def project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The new user's project, committed: their own repository, as `copier update` needs it."""
    rendered = render(template_repo, tmp_path_factory.mktemp("readme") / "project", ANSWERS)
    commit_all(rendered, "rendered")
    return rendered


@pytest.fixture(scope="module")
def readme(project: Path) -> list[Command]:
    return readme_commands((project / "README.md").read_text())


def _runnable(commands: list[Command], runs: dict[str, str], explained: Any = ()) -> dict[str, Command]:
    """The commands that run here, by their entry's name; a second command under one name would go
    unrun, so it fails as an unknown one would."""
    named = [(name, command) for command, name in classify(commands, runs, explained).items() if name]
    twice = sorted({name for name, _ in named if [other for other, _ in named].count(name) > 1})
    assert not twice, f"more than one command matches {twice}: give each its own entry"
    return dict(named)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Shell:
    """Runs commands as the user's terminal would, in the project, and notes which ran."""

    project: Path
    env: dict[str, str]
    port: int
    ran: set[str] = field(default_factory=set)

    def run(self, command: Command, *, env: dict[str, str] | None = None, **ids: str) -> str:
        """The command's output; fails the test on a non-zero exit status."""
        text = command.text.replace(README_URL, f"http://127.0.0.1:{self.port}")
        for name, value in ids.items():
            text = text.replace(f"<{name}>", value)
        assert not PLACEHOLDER.search(text), f"a placeholder the test cannot fill: {text}"
        # No input: a command that would stop to ask (copier, when an update adds a question) fails.
        done = subprocess.run(
            ["bash", "-c", text], cwd=self.project, env=env or self.env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{text}\nexited {done.returncode}\n{done.stdout}\n{done.stderr}"
        self.ran.add(command.text)
        return done.stdout

    def json(self, command: Command, **ids: str) -> Any:
        output = self.run(command, **ids)
        try:
            return json.loads(output)
        except json.JSONDecodeError:
            pytest.fail(f"{command.text} answered no JSON:\n{output}")


def _environment(tools: Path, port: int) -> dict[str, str]:
    """The user's shell: the template's .venv for make, copier on PATH, the stack's port."""
    copier_bin = tools / "copier-only"
    copier_bin.mkdir(exist_ok=True)
    if not (copier_bin / "copier").exists():
        (copier_bin / "copier").symlink_to(SHARED_VENV / "bin" / "copier")
    # No PYTHONPATH: the project imports the governance package it pinned, not this tree's.
    # Not make's own variables either: under `make test` they would make every make here a sub-make
    # that prints "Entering directory" around its output, as a user's shell never does.
    ours = {"PYTHONPATH", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    env = {key: value for key, value in os.environ.items() if key not in ours} | GIT_IDENTITY
    return env | {
        "VENV": str(SHARED_VENV),
        "PATH": f"{copier_bin}{os.pathsep}{env['PATH']}",
        "GOVERNED_LOCAL_API_PORT": str(port),
    }


@dataclass
class Dev:
    """The running `make dev`: its banner, and a shell with the banner's exports pasted."""

    banner: str
    shell: Shell


def _read_banner(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + BANNER_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if "Stop with Ctrl-C." in text:
            return text
        if process.poll() is not None:
            break
        time.sleep(0.5)
    errors = log.with_suffix(".err").read_text()
    pytest.fail(f"make dev printed no banner (exit {process.poll()}):\n{log.read_text()}\n{errors}")


@pytest.fixture(scope="module")
def dev(project: Path, readme: list[Command], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    """The approval section's `make dev`, as written, until the module's tests are done."""
    command = _runnable(readme, RUN_HERE, NOT_RUN_HERE)["dev"]
    tools = tmp_path_factory.mktemp("tools")
    port = _free_port()
    shell = Shell(project, _environment(tools, port), port)
    log = tools / "dev.log"
    with log.open("w") as out, log.with_suffix(".err").open("w") as err:
        process = subprocess.Popen(
            ["bash", "-c", command.text], cwd=project, env=shell.env, stdout=out, stderr=err,
            start_new_session=True,  # its own process group: Ctrl-C reaches make and the stack
        )  # fmt: skip
    try:
        banner = _read_banner(process, log)
        shell.ran.add(command.text)
        exports = "\n".join(line for line in banner.splitlines() if line.strip().startswith("export "))
        pasted = subprocess.run(
            ["bash", "-c", f"{exports}\nenv -0"], env=shell.env, capture_output=True, check=True
        )
        shell.env = dict(item.split("=", 1) for item in pasted.stdout.decode().split("\0") if "=" in item)
        yield Dev(banner, shell)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert "stopped." in log.read_text(), log.with_suffix(".err").read_text()


def _until(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    pytest.fail(f"never: {what}")


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def test_readme_commands_each_run_here_or_say_why_not(readme: list[Command]) -> None:
    """Each README command matches one RUN_HERE entry or is explained in NOT_RUN_HERE, and each
    entry names a command the README still has (else the test would prove nothing)."""
    assert set(_runnable(readme, RUN_HERE, NOT_RUN_HERE)) == set(RUN_HERE)
    assert {command.text for command in readme if command.text in NOT_RUN_HERE} == set(NOT_RUN_HERE)


def test_readme_and_banner_commands_work_as_written(
    readme: list[Command], dev: Dev, project: Path, tmp_path: Path
) -> None:
    """The README's local flow, approval, deploy and update commands, and the banner's Try
    commands, run in the rendered project against its `make dev`; each answer is what it says."""
    shell, url = dev.shell, f"http://127.0.0.1:{dev.shell.port}"
    one = _runnable(readme, RUN_HERE, NOT_RUN_HERE)

    # Try it: ask, read the job, follow its events until it ends; its decision chain.
    accepted = shell.json(one["ask"])
    assert accepted.get("status") == "accepted", accepted
    job_id = accepted["jobId"]
    assert shell.json(one["read"], jobId=job_id)["jobId"] == job_id
    events = shell.run(one["follow"], jobId=job_id)
    assert "event: progress" in events and '"status":"complete"' in events, events
    trace = shell.run(one["trace"], jobId=job_id)
    assert trace.startswith(f"Job {job_id}") and "guardrail_input" in trace and "complete" in trace, trace

    # Another token: the README's roles are this spec's, and the API takes the token.
    token = shell.run(one["token"]).strip()
    assert _jwt_claims(token)["roles"] == TOKEN_ROLES
    assert "approvals" in _get(f"{url}/approvals", token)
    listed = shell.run(one["help"])
    assert all(f"make {target} " in listed for target in ("dev", "token", "trace", "demo", "preview", "up"))

    # Approve an action, locally: the multi-step action waits, is approved, runs every step.
    requested = shell.json(one["request"])
    assert requested.get("status") == "accepted", requested
    job_id = requested["jobId"]
    approvals = _until(
        lambda: [a for a in shell.json(one["pending"])["approvals"] if a["jobId"] == job_id],
        f"job {job_id}'s approval listed for the approver",
    )
    assert approvals[0]["details"]["proposal"]["actionType"] == GATED["name"]
    decided = shell.json(one["decide"], approvalId=approvals[0]["approvalId"])
    assert decided.get("status") == "approved", decided
    job = _until(
        lambda: (found := shell.json(one["outcome"], jobId=job_id))["status"] == "complete" and found,
        f"job {job_id} complete",
    )
    assert job["decision"] == "approve" and sorted(job["result"]["results"]) == sorted(GATED["steps"]), job

    _run_banner_commands(dev, url)
    _run_deploy_commands(shell, one, tmp_path)
    _run_update_commands(shell, one, project)
    ran_or_explained = shell.ran | set(NOT_RUN_HERE)
    assert [command.text for command in readme if command.text not in ran_or_explained] == []


def _run_banner_commands(dev: Dev, url: str) -> None:
    """The banner's Try commands: ask, that job's trace, another token for this port."""
    one = _runnable(banner_commands(dev.banner), BANNER_RUNS)
    assert {"ask", "trace", "token"} <= set(one), dev.banner
    # Without the stand-in for 8080: the banner's commands name their port.
    env = {key: value for key, value in dev.shell.env.items() if key != "GOVERNED_LOCAL_API_PORT"}
    accepted = json.loads(dev.shell.run(one["ask"], env=env))
    assert accepted.get("status") == "accepted", accepted
    job_id = accepted["jobId"]
    alice = dev.shell.env["TOKEN_ACME_ALICE"]
    _until(lambda: _get(f"{url}/jobs/{job_id}", alice)["status"] == "complete", f"job {job_id} complete")
    assert dev.shell.run(one["trace"], env=env, jobId=job_id).startswith(f"Job {job_id}")
    token = dev.shell.run(one["token"], env=env).strip()
    assert _jwt_claims(token)["roles"] == TOKEN_ROLES
    assert "approvals" in _get(f"{url}/approvals", token)


def _run_deploy_commands(shell: Shell, one: dict[str, Command], tmp_path: Path) -> None:
    """`make preview` builds for real and calls a recording fake pulumi; the rest are stand-ins."""
    stack = STACKS[0]
    settings = yaml.safe_load((shell.project / f"Pulumi.{stack}.yaml").read_text())
    project_name = yaml.safe_load((shell.project / "Pulumi.yaml").read_text())["name"]
    assert any(key.startswith(f"{project_name}:") for key in settings["config"]), settings

    fake = tmp_path / "fake-pulumi"
    fake.mkdir()
    record = tmp_path / "pulumi-calls.txt"
    (fake / "pulumi").write_text(
        "#!/bin/sh\n# Stands in for the Pulumi CLI: records its arguments and what the build left.\n"
        f'printf "%s\\n" "$*" >> "{record}"\n'
        f'ls build >> "{record}"\n'
    )
    (fake / "pulumi").chmod(0o755)
    env = shell.env | {"PATH": f"{fake}{os.pathsep}{shell.env['PATH']}"}
    shell.run(one["preview"], env=env)
    called = [f"preview -s {stack} --policy-pack policypack", "code.zip", "layer.zip"]
    assert record.read_text().splitlines() == called
    assert (shell.project / "policypack").is_dir()

    up = _dry_run(shell, f"make -n up STACK={stack}")
    assert "-m governed_assistant.infra.packaging build --project . --out build/" in up
    assert f"pulumi up -s {stack} --policy-pack policypack" in up
    assert f"{SHARED_VENV}/bin/python -m governed_assistant.local demo" in _dry_run(shell, "make -n demo")


def _dry_run(shell: Shell, command: str) -> str:
    return shell.run(Command(command, "stand-in"))


def _run_update_commands(shell: Shell, one: dict[str, Command], project: Path) -> None:
    """After a user's edits (a changed file and a new one), commit, update, scaffold: as written."""
    with (project / "prompts" / "system.md").open("a") as prompt:
        prompt.write("\nAlways give the crew's arrival window.\n")
    (project / "docs").mkdir()
    (project / "docs" / "runbook.md").write_text("Call the site before every visit.\n")
    shell.run(one["commit"])
    assert shell.run(Command("git status --porcelain", "stand-in")) == ""
    shell.run(one["update"])
    assert "Always give the crew's arrival window." in (project / "prompts" / "system.md").read_text()
    shell.run(one["scaffold"])
    shell.run(one["lock"])  # through the package index, as the README's user does
    assert (project / "requirements.lock").read_text().startswith("#")


def test_banner_says_local_retrieval_is_on_and_its_ingest_command_feeds_it(dev: Dev, tmp_path: Path) -> None:
    """With PostgreSQL and pgvector installed, `make install` leaves nothing missing: the banner says
    retrieval is on, and its ingest command indexes documents the next answer cites."""
    status = local_postgres_status()
    if not status.available:
        skip_or_fail_in_ci(
            f"no PostgreSQL with pgvector here, so make dev's retrieval is off: {status.reason}"
        )
    (line,) = [line.strip() for line in dev.banner.splitlines() if line.strip().startswith("retrieval ")]
    assert re.match(r"retrieval\s+on: pgvector on a throwaway PostgreSQL \(in AWS: pgvector\)", line), line

    ingest = _runnable(banner_commands(dev.banner), BANNER_RUNS)["ingest"]
    folder = tmp_path / "acme-docs"
    folder.mkdir()
    (folder / "ladders.md").write_text("Crews carry a ladder to every rooftop visit at Acme sites.\n")
    assert "stored 1 chunks from 1 documents" in dev.shell.run(ingest, folder=str(folder))

    url, token = f"http://127.0.0.1:{dev.shell.port}", dev.shell.env["TOKEN_ACME_ALICE"]
    body = json.dumps({"message": "what must crews carry to rooftop visits?"}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{url}/messages", data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        job_id = json.loads(answer.read())["jobId"]
    job = _until(
        lambda: (found := _get(f"{url}/jobs/{job_id}", token))["status"] == "complete" and found,
        f"job {job_id} complete",
    )
    assert [source["source"] for source in job["result"]["sources"]] == ["ladders.md"], job
