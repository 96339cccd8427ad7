"""Every preset, retrieval backend and identity provider renders a project that passes its own tests."""

from __future__ import annotations

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
    """`make test` (spec check, pytest, ruff lint, ruff format --check) passes in the new project."""
    project = render(template_repo, tmp_path / "project", _answers(preset, backend, provider))
    result = run(["make", "test", f"VENV={SHARED_VENV}"], cwd=project)
    assert "passed" in result.stdout
    spec_text = (project / "assistant.yaml").read_text()
    assert f"backend: {backend}" in spec_text
    assert f"provider: {provider}" in spec_text
