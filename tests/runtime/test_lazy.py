"""Packages whose public names need a heavy library import it on first use, and still export every name."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest
from governed_assistant.runtime.lazy import lazy_exports

from tests.conftest import REPO_ROOT

LAZY_PACKAGES = (
    "governed_assistant.runtime.identity",
    "governed_assistant.runtime.flags",
    "governed_assistant.runtime.gate",
)


def _modules_loaded(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; it prints comma-separated names, returned as a list."""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    return out.split(",") if out else []


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_package_exports_every_public_name(package: str) -> None:
    """Every name in ``__all__`` resolves on the package, lazy or not."""
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize(
    ("package", "name", "library"),
    [
        pytest.param("governed_assistant.runtime.identity", "JwtVerifier", "jwt", id="identity-pyjwt"),
        pytest.param(
            "governed_assistant.runtime.identity", "fetch_jwks", "cryptography", id="identity-cryptography"
        ),
        pytest.param("governed_assistant.runtime.flags", "RolloutFlags", "boto3", id="flags-boto3"),
        pytest.param(
            "governed_assistant.runtime.flags",
            "FlagsDocumentError",
            "aws_lambda_powertools.utilities.feature_flags",
            id="flags-powertools",
        ),
        pytest.param("governed_assistant.runtime.gate", "CedarAuthorizer", "cedarpy", id="gate-cedarpy"),
    ],
)  # fmt: skip
def test_lazy_package_loads_library_on_first_use(package: str, name: str, library: str) -> None:
    """Importing the package leaves the library unloaded; asking for the name that needs it loads it."""
    code = (
        f"import sys; import {package} as p; lib = {library!r}; before = lib in sys.modules; "
        f"getattr(p, {name!r}); print(before, lib in sys.modules, sep=',')"
    )
    assert _modules_loaded(code) == ["False", "True"]


def test_lazy_exports_keeps_the_resolved_name_on_the_package() -> None:
    """After the first access the name is a plain attribute of the package, the source module's object."""
    package = types.ModuleType("lazy_probe")
    sys.modules["lazy_probe"] = package
    try:
        load = lazy_exports("lazy_probe", {"dumps": "json"})
        value = load("dumps")
        assert value is importlib.import_module("json").dumps
        assert vars(package)["dumps"] is value
    finally:
        del sys.modules["lazy_probe"]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_package_unknown_name_raises_attribute_error(package: str) -> None:
    """A name the package does not export is an AttributeError naming the package, as for any module."""
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=f"{package!r} has no attribute 'NoSuchName'"):
        _ = module.NoSuchName
