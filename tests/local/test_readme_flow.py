"""The generated README's approval flow works as written: its `make dev` arguments, the banner's
exports, then its curl commands in order, against the local stack the README's command starts.

The README is rendered from ``template/README.md.jinja`` with the default project's answers; the
stack runs in a subprocess as ``make dev`` runs it (a free port instead of 8080, substituted into
the commands). Only the ids the answers give are put into the commands, as the README says.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from governed_assistant.authz import starter_policy
from governed_assistant.spec import load_spec

from tests.conftest import REPO_ROOT, preset_answers

README = REPO_ROOT / "template" / "README.md.jinja"
README_URL = "http://127.0.0.1:8080"


def _readme() -> str:
    answers, _ = preset_answers("bounded-action")
    answers |= {
        "project_name": "Support Operations Assistant",
        "description": "A test assistant.",
        "stacks": ["dev", "prod"],
        "approval_threshold": 0.5,
        "deny_threshold": 0.9,
        "identity_provider": "cognito",
        "tenant_claim": "custom:tenantId",
        "user_claim": "sub",
        "roles_claim": "cognito:groups",
    }
    template = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False).from_string(  # noqa: S701 - Markdown
        README.read_text()
    )
    return template.render(**answers)


def _approval_section(readme: str) -> tuple[list[str], list[str]]:
    """The `make dev` arguments and the curl commands of the README's approval flow."""
    section = readme.split("### Approve an action, locally", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    (dev,) = [line for line in blocks[0].splitlines() if line.startswith("make dev")]
    arguments = shlex.split(shlex.split(dev)[2].removeprefix("ARGS="))
    commands = [line for line in blocks[1].splitlines() if line.startswith("curl ")]
    return arguments, commands


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], list[str]]]:
    """`make dev` with the README's arguments in a project of the reference spec: its URL, the
    banner's exports, and the README's commands."""
    arguments, commands = _approval_section(_readme())
    shutil.copy(REPO_ROOT / "assistant.yaml", tmp_path / "assistant.yaml")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.md").write_text("You are a test assistant.\n")
    spec = load_spec(tmp_path / "assistant.yaml")
    (tmp_path / "policies").mkdir()
    for role in spec.roles:
        (tmp_path / "policies" / f"{role}.cedar").write_text(starter_policy(spec, role))
    process = subprocess.Popen(
        [sys.executable, "-m", "governed_assistant.local", "--project", str(tmp_path), "dev", "--port", "0",
         *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert process.stdout is not None
    banner = []
    for line in process.stdout:
        banner.append(line)
        if line.startswith("Stop with Ctrl-C"):
            break
    try:
        url = re.search(r"API\s+(http://\S+)", "".join(banner))
        assert url is not None, "".join(banner)
        exports = "".join(line for line in banner if line.strip().startswith("export "))
        shell = subprocess.run(["bash", "-c", f"{exports}\nenv -0"], capture_output=True, check=True)
        env = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)
        yield url.group(1), env, commands
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def _run(command: str, url: str, env: dict[str, str], **ids: str) -> dict[str, Any]:
    for name, value in ids.items():
        command = command.replace(f"<{name}>", value)
    assert "<" not in command, f"an id the README leaves to fill is unknown here: {command}"
    ran = subprocess.run(
        ["bash", "-c", command.replace(README_URL, url)], capture_output=True, env=env, check=True
    )
    answer: dict[str, Any] = json.loads(ran.stdout)
    return answer


def _until(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"never: {what}")


def test_readme_approval_flow_commands_work_as_written(dev: tuple[str, dict[str, str], list[str]]) -> None:
    """Ask as TOKEN_REQUESTER, list and approve as TOKEN_APPROVER, read the job: it completes."""
    url, env, commands = dev
    assert {"TOKEN_REQUESTER", "TOKEN_APPROVER"} <= set(env)
    ask, listing, approve, read = commands
    accepted = _run(ask, url, env)
    assert accepted["status"] == "accepted"
    job_id = accepted["jobId"]
    approvals = _until(
        lambda: [a for a in _run(listing, url, env)["approvals"] if a["jobId"] == job_id],
        f"job {job_id}'s approval listed for the approver",
    )
    decided = _run(approve, url, env, approvalId=approvals[0]["approvalId"])
    assert decided["status"] == "approved"
    job = _until(lambda: (j := _run(read, url, env, jobId=job_id))["status"] == "complete" and j, "complete")
    assert job["decision"] == "approve" and job["result"]["outcome"] == "complete"
