"""``read_results`` against a real pytest run: the node ids it reads back are the ones pytest itself
collects (``--collect-only``), and each outcome is the one the sample test was written to have."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from governed_assistant.security.exceptions import SecurityReportError
from governed_assistant.security.results import read_results

SAMPLE = """
import pytest

def test_passes():
    pass

def test_fails():
    assert False, "on purpose"

def test_skips():
    pytest.skip("nothing to do here")

@pytest.mark.parametrize("tenant", ["acme", "globex tenant's"])
def test_param(tenant):
    assert tenant != "globex tenant's"

class TestGroup:
    def test_in_class(self):
        pass

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown")

def test_passes_then_teardown_fails(broken_teardown):
    pass
"""

# Written by hand from SAMPLE above: what each test was made to do.
EXPECTED = {
    "tests/test_sample.py::test_passes": "passed",
    "tests/test_sample.py::test_fails": "failed",
    "tests/test_sample.py::test_skips": "skipped",
    "tests/test_sample.py::test_param[acme]": "passed",
    "tests/test_sample.py::test_param[globex tenant's]": "failed",
    "tests/test_sample.py::TestGroup::test_in_class": "passed",
    "tests/test_sample.py::test_passes_then_teardown_fails": "failed",
}


def _pytest(project: Path, *args: str) -> str:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False).stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    (root / "tests").mkdir()
    (root / "tests" / "test_sample.py").write_text(SAMPLE)
    (root / "pytest.ini").write_text("[pytest]\n")
    _pytest(root, "--junitxml=build/results.xml", "tests")
    return root


def test_node_ids_are_the_ones_pytest_collects(project: Path) -> None:
    collected = {
        line for line in _pytest(project, "--collect-only", "-q", "tests").splitlines() if "::" in line
    }
    assert set(read_results(project / "build/results.xml", project)) == collected


def test_each_outcome_is_the_one_the_test_was_written_to_have(project: Path) -> None:
    results = read_results(project / "build/results.xml", project)
    assert {node_id: result.outcome for node_id, result in results.items()} == EXPECTED
    assert results["tests/test_sample.py::test_skips"].detail == "nothing to do here"
    assert "on purpose" in results["tests/test_sample.py::test_fails"].detail


def test_missing_results_say_to_run_make_test(tmp_path: Path) -> None:
    with pytest.raises(SecurityReportError, match=r"No test results at .*run `make test` first"):
        read_results(tmp_path / "absent.xml", tmp_path)


@pytest.mark.parametrize("content", ["not xml at all", "<html><body/></html>"])
def test_a_file_that_is_not_junit_xml_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "results.xml"
    path.write_text(content)
    with pytest.raises(SecurityReportError, match="is not pytest's JUnit XML"):
        read_results(path, tmp_path)
