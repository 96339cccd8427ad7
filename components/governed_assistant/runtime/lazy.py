"""Public names a package imports on first use (PEP 562), so a Lambda handler's cold start stays short.

A package whose public names need a heavy library (PyJWT and cryptography, Powertools feature
flags and boto3, cedarpy) names them in its ``__init__`` as::

    if TYPE_CHECKING:                      # mypy and readers see the names as plain imports
        from governed_assistant.runtime.identity.verifier import JwtVerifier
    else:
        __getattr__ = lazy_exports(__name__, {"JwtVerifier": "governed_assistant.runtime.identity.verifier"})

``from governed_assistant.runtime.identity import JwtVerifier`` then works as before; the module that
holds it is imported the first time the name is asked for, and the name is kept in the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``exports[name]`` (a module) on first use."""
    table = dict(exports)

    def load(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        # Keep it on the package, so the next access is a plain attribute read.
        setattr(sys.modules[package], name, value)
        return value

    return load
