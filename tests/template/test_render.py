"""Every preset, retrieval backend and identity provider renders a project that passes its own tests."""

from __future__ import annotations

import ast
import importlib
import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PRESETS
from tests.template.conftest import SHARED_VENV, render, run

BACKENDS = ("none", "knowledge-base", "opensearch", "pgvector")
# Every preset meets every backend; providers alternate so each preset meets both.
MATRIX = [
    pytest.param(preset, backend, provider, id=f"{preset}-{backend}-{provider}")
    for index, (preset, backend) in enumerate(itertools.product(PRESETS, BACKENDS))
    for provider in [("cognito", "oidc")[index % 2]]
]


def _answers(preset: str, backend: str, provider: str) -> dict[str, Any]:
    answers: dict[str, Any] = {"preset": preset, "retrieval_backend": backend, "identity_provider": provider}
    if provider == "oidc":
        answers |= {"oidc_issuer": "https://login.example.com/", "oidc_audience": "assistant"}
    return answers


@pytest.mark.parametrize(("preset", "backend", "provider"), MATRIX)
def test_rendered_project_passes_its_own_tests_and_lint(
    template_repo: Path, tmp_path: Path, preset: str, backend: str, provider: str
) -> None:
    """`make test` (spec check, pytest, ruff lint, ruff format --check) passes in the new project.

    The end-to-end demo runs once per preset (with the first backend): the local stack retrieves
    the same way whatever the backend, so running it for each would repeat a minute per case.
    """
    project = render(template_repo, tmp_path / "project", _answers(preset, backend, provider))
    options = [] if backend == BACKENDS[0] else ["PYTEST_ARGS=--ignore=tests/test_e2e.py"]
    result = run(["make", "test", f"VENV={SHARED_VENV}", *options], cwd=project)
    assert "passed" in result.stdout
    spec_text = (project / "assistant.yaml").read_text()
    assert f"backend: {backend}" in spec_text
    assert f"provider: {provider}" in spec_text
    assert not (project / "components").exists()


# What a generated project holds: only what its owner writes or reads, nothing of the package.
OWNER_TREE = {
    ".copier-answers.yml", ".github", ".gitignore", ".pre-commit-config.yaml", "Makefile", "Pulumi.yaml",
    "README.md", "__main__.py", "actions", "assistant.yaml", "local", "openapi.json", "policies",
    "policypack", "prompts", "pyproject.toml", "requirements-dev.txt", "requirements.txt", "tests",
}  # fmt: skip


@pytest.fixture(scope="module")
def default_project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(template_repo, tmp_path_factory.mktemp("default") / "project", {})


def test_default_project_holds_only_its_owners_files(default_project: Path) -> None:
    """No vendored code: the top level is the owner's files and glue; local/ holds the model script."""
    top = {path.name for path in default_project.iterdir() if path.name != ".git"}
    stacks = {name for name in top if name.startswith("Pulumi.") and name != "Pulumi.yaml"}
    assert top - stacks == OWNER_TREE
    assert [path.name for path in (default_project / "local").iterdir()] == ["model-script.yaml"]
    assert not list(default_project.rglob("governed_assistant"))


def test_default_project_pins_the_package_at_the_rendered_commit(
    default_project: Path, template_repo: Path
) -> None:
    """requirements.txt names the package at the exact commit copier rendered, as a pip VCS URL."""
    commit = run(["git", "rev-parse", "HEAD"], cwd=template_repo).stdout.strip()
    expected = (
        f"governed-assistant[infra] @ git+file://localhost{template_repo}@{commit}#subdirectory=components"
    )
    assert expected in (default_project / "requirements.txt").read_text().splitlines()
    dev = (default_project / "requirements-dev.txt").read_text().splitlines()
    assert expected.replace("[infra]", "[infra,local]") in dev


def _package_imports(path: Path) -> list[tuple[str, str]]:
    """Every ``(module, name)`` a file imports from the governance package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "governed_assistant":
            found += [(node.module or "", alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.startswith("governed_assistant")]
    return found


def test_default_project_imports_only_the_public_api(default_project: Path) -> None:
    """Generated files import names of governed_assistant.__all__ or governed_assistant.testing only."""
    public = {
        module: set(importlib.import_module(module).__all__)
        for module in ("governed_assistant", "governed_assistant.testing")
    }
    imports = [
        (path.relative_to(default_project), module, name)
        for path in default_project.rglob("*.py")
        for module, name in _package_imports(path)
    ]
    assert imports, "the project imports nothing from the package: the check would prove nothing"
    private = [
        f"{path}: {module}.{name}" for path, module, name in imports if name not in public.get(module, ())
    ]
    assert private == []


def test_custom_preset_project_passes_its_own_tests_and_lint(template_repo: Path, tmp_path: Path) -> None:
    """The custom preset's defaults (no actions, an approver and an admin role) make a project that passes."""
    project = render(template_repo, tmp_path / "project", {"preset": "custom"})
    result = run(["make", "test", f"VENV={SHARED_VENV}"], cwd=project)
    assert "passed" in result.stdout
    assert "pattern: custom" in (project / "assistant.yaml").read_text()


def test_answer_mode_project_passes_its_own_tests_and_lint(template_repo: Path, tmp_path: Path) -> None:
    """The questionnaire's answer mode (no actions) renders a project whose `make test` passes."""
    project = render(template_repo, tmp_path / "project", {"mode": "answer"})
    result = run(["make", "test", f"VENV={SHARED_VENV}"], cwd=project)
    assert "passed" in result.stdout
    assert "actions: []" in (project / "assistant.yaml").read_text()
