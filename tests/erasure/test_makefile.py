"""The generated README's `make erase-tenant` commands work as written, with the template's Makefile.

The Makefile runs in a project of its own; its `.venv` is this interpreter (with the package from
the working tree), and `pulumi` is a stand-in on PATH that prints the stack outputs a deployed
stack would (no store but its retention facts), checking it was asked for the README's stack.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.spec.model import is_production

from tests.conftest import PACKAGE_ROOT, REPO_ROOT, preset_answers, preset_document

OUTPUTS = {
    "erasure": {"region": "eu-west-1", "log_retention_days": 30, "backups": {"dynamodb_pitr_days": 35}}
}


def readme_commands() -> list[str]:
    answers, _ = preset_answers("bounded-action")
    answers |= {"project_name": "P", "description": "D", "stacks": ["dev", "prod"], "approval_threshold": 0.5,
                "deny_threshold": 0.9, "identity_provider": "cognito", "tenant_claim": "custom:tenantId",
                "user_claim": "sub", "roles_claim": "cognito:groups"}  # fmt: skip
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - Markdown
    environment.globals["is_production"] = is_production  # as extensions/spec_extension.py registers it
    text = environment.from_string((REPO_ROOT / "template" / "README.md.jinja").read_text()).render(**answers)
    section = text.split("## Erase a tenant", 1)[1].split("\n## ", 1)[0]
    (block, *_) = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.startswith("make ")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    shutil.copy(REPO_ROOT / "template" / "Makefile", tmp_path / "Makefile")
    (tmp_path / "assistant.yaml").write_text(render_spec_yaml(preset_document()))
    for name in ("requirements.txt", "requirements-dev.txt"):
        (tmp_path / name).write_text("")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text(f'#!/bin/sh\nPYTHONPATH="{PACKAGE_ROOT}" exec "{sys.executable}" "$@"\n')
    (venv / "python").chmod(0o755)
    (tmp_path / ".venv" / ".installed").touch()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(
        '#!/bin/sh\n[ "$*" = "stack output --json -s dev" ] || { echo "unexpected: $*" >&2; exit 3; }\n'
        f"echo '{json.dumps(OUTPUTS)}'\n"
    )
    (bin_dir / "pulumi").chmod(0o755)
    return tmp_path


def make(project: Path, command: str) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command)
    assert words[:2] == ["make", "erase-tenant"]
    environment = {**os.environ, "PATH": f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("TENANT", None)
    return subprocess.run(
        ["make", "--no-print-directory", *words[1:]], cwd=project, env=environment,
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_readme_erase_commands_run_with_the_template_makefile(project: Path) -> None:
    """The dry run counts, the confirmed run erases, the local one reads .local/; each exits 0."""
    commands = readme_commands()
    assert [shlex.split(c)[2:] for c in commands] == [
        ["TENANT=acme", "STACK=dev", "DRY_RUN=1"],
        ["TENANT=acme", "STACK=dev", "CONFIRM=acme"],
        ["TENANT=acme", "STACK=local", "CONFIRM=acme"],
    ]
    dry, confirmed, local = (make(project, command) for command in commands)
    assert dry.returncode == 0 and "dry run, nothing deleted" in dry.stdout and "35 days" in dry.stdout, (
        dry.stderr
    )
    assert confirmed.returncode == 0 and "tenant acme: erasure" in confirmed.stdout, confirmed.stderr
    assert local.returncode == 0 and "local decision events" in local.stdout, local.stderr


@pytest.mark.parametrize(
    ("command", "said"),
    [
        pytest.param(
            "make erase-tenant STACK=local CONFIRM=acme", "usage: make erase-tenant", id="no-tenant"
        ),
        pytest.param("make erase-tenant TENANT=acme STACK=dev", "CONFIRM=acme", id="no-confirmation"),
        pytest.param("make erase-tenant TENANT=acme STACK=dev CONFIRM=acme-corp", "CONFIRM=acme", id="other"),
        pytest.param(
            "make erase-tenant TENANT='ac me' STACK=local CONFIRM='ac me'", "Not a tenant id", id="space"
        ),
    ],
)
def test_erase_tenant_target_refuses_without_a_tenant_and_its_confirmation(
    project: Path, command: str, said: str
) -> None:
    """Exit status 2 and what to do; a TENANT from the environment is never used."""
    done = make(project, command)
    assert done.returncode == 2 and said in done.stdout + done.stderr
