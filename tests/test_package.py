"""The governance package as generated projects see it: its metadata, public API and releases."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import PACKAGE_ROOT, REPO_ROOT

PROJECT = tomllib.loads((PACKAGE_ROOT / "pyproject.toml").read_text())["project"]


def test_template_environment_installs_every_package_dependency() -> None:
    """requirements-template.txt lists each dependency of the package and its extras, as declared."""
    declared = [
        *PROJECT["dependencies"],
        *(dep for extra in PROJECT["optional-dependencies"].values() for dep in extra),
    ]
    listed = set((REPO_ROOT / "requirements-template.txt").read_text().splitlines())
    assert [dep for dep in declared if dep not in listed] == []


def test_package_version_is_the_newest_release() -> None:
    """pyproject's version is the newest heading of CHANGELOG.md."""
    newest = re.search(r"^## (\S+) - ", (REPO_ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert newest is not None
    assert PROJECT["version"] == newest.group(1)


@pytest.mark.parametrize(("module"), ["governed_assistant", "governed_assistant.testing"])
def test_every_public_name_resolves(module: str) -> None:
    """Each name in __all__ imports (the lazy table names real objects)."""
    imported = importlib.import_module(module)
    assert imported.__all__
    missing = [name for name in imported.__all__ if getattr(imported, name, None) is None]
    assert missing == []


def test_unknown_public_name_is_an_attribute_error() -> None:
    """A name outside the public API fails like any missing attribute, naming it."""
    with pytest.raises(AttributeError, match="no attribute 'handlers_secret'"):
        importlib.import_module("governed_assistant").handlers_secret  # noqa: B018


def test_importing_the_package_loads_no_subpackage() -> None:
    """`import governed_assistant` imports nothing else of it, so handlers pay only for what they use."""
    code = (
        "import governed_assistant, sys; "
        "print(sorted(m for m in sys.modules if m.startswith('governed_assistant.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
