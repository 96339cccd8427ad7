"""A test run's results, read back from pytest's JUnit XML (``pytest --junitxml=...``).

The report names tests by pytest node id (``tests/test_policies.py::test_x[param]``); JUnit XML
names them by a dotted ``classname`` and a ``name``. The dotted name is turned back into a path
by finding the module file under the project, so a test class stays a ``::`` part.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from governed_assistant.security.exceptions import SecurityReportError

Outcome = Literal["passed", "failed", "skipped"]

# When a test appears twice (a teardown error after a pass), the worse outcome is its result.
_RANK: Final[dict[Outcome, int]] = {"passed": 0, "skipped": 1, "failed": 2}


@dataclass(frozen=True)
class TestResult:
    """One test's outcome in the run, with the reason pytest gave for a skip or a failure."""

    __test__ = False  # not a pytest test class, despite the name

    node_id: str
    outcome: Outcome
    detail: str = ""


def read_results(path: Path, project_root: Path) -> dict[str, TestResult]:
    """Every test case in ``path`` by node id. Raises ``SecurityReportError`` when there is no such
    file or it is not pytest's JUnit XML, saying how to produce one."""
    if not path.is_file():
        raise SecurityReportError(
            f"No test results at {path}; run `make test` first (it writes them there), then run this again"
        )
    try:
        root = ElementTree.parse(path).getroot()  # noqa: S314 - the project's own test run's file
    except ElementTree.ParseError as error:
        raise SecurityReportError(
            f"{path} is not pytest's JUnit XML ({error}); run `make test` again to rewrite it"
        ) from error
    if root.tag not in {"testsuites", "testsuite"}:
        raise SecurityReportError(
            f"{path} is not pytest's JUnit XML (its root is <{root.tag}>); run `make test` to rewrite it"
        )
    results: dict[str, TestResult] = {}
    for case in root.iter("testcase"):
        result = _result(case, project_root)
        known = results.get(result.node_id)
        if known is None or _RANK[result.outcome] > _RANK[known.outcome]:
            results[result.node_id] = result
    return results


def _result(case: ElementTree.Element, project_root: Path) -> TestResult:
    node_id = _node_id(case.get("classname", ""), case.get("name", ""), project_root)
    for tag, outcome in (("failure", "failed"), ("error", "failed"), ("skipped", "skipped")):
        found = case.find(tag)
        if found is not None:
            detail = found.get("message") or (found.text or "").strip()
            return TestResult(node_id, outcome, detail.splitlines()[0] if detail else "")  # type: ignore[arg-type]
    return TestResult(node_id, "passed")


def _node_id(classname: str, name: str, project_root: Path) -> str:
    """``tests.test_x.TestY`` + ``test_z`` -> ``tests/test_x.py::TestY::test_z`` (the module is the
    longest dotted prefix that is a file under the project)."""
    parts = classname.split(".") if classname else []
    for cut in range(len(parts), 0, -1):
        module = "/".join(parts[:cut]) + ".py"
        if (project_root / module).is_file():
            return "::".join([module, *parts[cut:], name])
    return "::".join(["/".join(parts) + ".py", name]) if parts else name
