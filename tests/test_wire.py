"""Every name that crosses a process boundary has one home, ``governed_assistant.wire``."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import governed_assistant
import pytest
from governed_assistant import wire

PACKAGE = Path(governed_assistant.__file__).parent
WIRE_FILE = Path(wire.__file__)
# A string that is all of an environment variable name in the project's namespace.
_ENV_NAME = re.compile(rf"^{re.escape(wire.ENV_PREFIX)}[A-Z0-9_]+$")
_NAMES = {name: value for name, value in vars(wire).items() if name.isupper()}
_ENV_VARIABLES = {
    name: value
    for name, value in _NAMES.items()
    if name.startswith("ENV_") and name != "ENV_PREFIX" and isinstance(value, str)
}
# Values specific enough that an equal literal elsewhere can only be a copy of the name (the metrics
# namespace is not one: it is also the name of the component class); route keys among them.
_DISTINCT = set(_ENV_VARIABLES.values()) | {
    value
    for name, value in _NAMES.items()
    if isinstance(value, str) and name.startswith(("JOB_", "INSIGHT_", "METRIC_", "APPROVAL_", "ROUTE_"))
}


def _sources() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path != WIRE_FILE)


def _copies(path: Path) -> list[str]:
    """The literals in ``path`` that spell a wire name instead of importing it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in _DISTINCT or _ENV_NAME.match(node.value):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.FormattedValue) and ast.unparse(first.value).endswith("ENV_PREFIX"):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_but_wire_spells_a_wire_name() -> None:
    """Infra, runtime, handlers and the local stack import the names; none writes one out."""
    assert [copy for path in _sources() for copy in _copies(path)] == []


def test_no_module_but_wire_defines_an_environment_variable_name() -> None:
    """One convention, one place: ``ENV_<X>`` constants live in wire and nowhere else."""
    defined = []
    for path in _sources():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Name) and re.match(r"^(ENV_\w+|\w+_ENV)$", target.id):
                    defined.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {target.id}")
    assert defined == []


@pytest.mark.parametrize(("name", "value"), sorted(_ENV_VARIABLES.items()))
def test_env_constant_is_named_after_its_variable(name: str, value: str) -> None:
    """``ENV_<X>`` is the variable ``GOVERNED_<X>``, or, for one another library owns, ``<X>`` itself."""
    assert value.removeprefix(wire.ENV_PREFIX) == name.removeprefix("ENV_")


def test_env_by_resource_names_wire_variables() -> None:
    """Every resource variable is one of the ``ENV_`` constants."""
    assert set(wire.ENV_BY_RESOURCE.values()) <= set(_ENV_VARIABLES.values())


def test_wire_imports_only_the_standard_library() -> None:
    """Every function loads wire on its cold start: nothing but the standard library may come with it."""
    code = (
        "import sys; before = set(sys.modules); import governed_assistant.wire; "
        "print(','.join(sorted(m for m in set(sys.modules) - before if m.split('.')[0] not in "
        "sys.stdlib_module_names and m not in ('governed_assistant', 'governed_assistant.wire'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
