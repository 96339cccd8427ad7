"""Lambda packaging: the same code gives the same bytes, with nothing but the code in them."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.infra.layer_lock import (
    LOCK_FILE,
    LayerLock,
    parse_lock,
    render_lock,
    requirements_sha256,
)
from governed_assistant.infra.packaging import (
    LAYER_EXCLUDED_MODULES,
    PackagingError,
    build_code,
    build_layer,
    lock_layer,
    main,
    pip_command,
    resolve_command,
    runtime_requirements,
)

from tests.conftest import REPO_ROOT, skip_or_fail_in_ci

T = TypeVar("T")

FILES = {
    "actions/__init__.py": "",
    "actions/support/__init__.py": "",
    "actions/support/tickets.py": "DECIDE = True\n",
    "actions/refund.py": "def execute(): ...\n",
    "policies/roles.cedar": "permit(principal, action, resource);\n",
    "prompts/system.md": "You propose; you never execute.\n",
    "assistant.yaml": "name: Test\n",
}
JUNK = [
    "actions/__pycache__/refund.cpython-311.pyc",
    "actions/support/tickets.pyc",
    "actions/.mypy_cache/3.11/cache.json",
    "actions/.pytest_cache/v/cache",
    "actions/support/.ruff_cache/x",
]
# Everything else in a project stays out, a vendored components/ of an old layout included.
NOT_PACKAGED = ["README.md", "tests/test_x.py", "__main__.py", "requirements.txt", "components/spec.py"]


def make_project(root: Path, actions_at: Path | None = None) -> Path:
    """A project tree with code, junk and unrelated files; actions/ optionally a symlink."""
    for name in [*FILES, *JUNK, *NOT_PACKAGED]:
        target = root / name
        if actions_at is not None and name.startswith("actions/"):
            target = actions_at / name.removeprefix("actions/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(FILES.get(name, "junk\n"))
    if actions_at is not None:
        (root / "actions").symlink_to(actions_at, target_is_directory=True)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as opened:
        return opened.namelist()


def test_code_zip_builds_identically_twice(project: Path, tmp_path: Path) -> None:
    """Two builds of the same tree give the same bytes."""
    first = build_code(project, tmp_path / "a" / "code.zip")
    second = build_code(project, tmp_path / "b" / "code.zip")
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_code_zip_ignores_mtimes_and_permissions(project: Path, tmp_path: Path) -> None:
    """Touching files or changing their modes leaves the hash alone; changing content does not."""
    before = build_code(project, tmp_path / "before.zip")
    for path in project.rglob("*"):
        if path.is_file():
            os.utime(path, (1_700_000_000, 1_700_000_000))
            path.chmod(0o755)
    assert build_code(project, tmp_path / "after.zip").sha256 == before.sha256
    (project / "actions" / "refund.py").write_text("def execute(): return 1\n")
    assert build_code(project, tmp_path / "changed.zip").sha256 != before.sha256


def test_code_zip_holds_the_code_only(project: Path, tmp_path: Path) -> None:
    """Exactly the runtime's files: no caches, compiled files, tests or project files."""
    built = build_code(project, tmp_path / "code.zip")
    assert names(built.path) == sorted(FILES)
    assert built.entries == len(FILES)


def test_code_zip_entries_are_sorted_dated_1980_and_0644(project: Path, tmp_path: Path) -> None:
    """Entries are in name order, dated 1980-01-01 and rw-r--r--, whatever the machine."""
    built = build_code(project, tmp_path / "code.zip")
    with zipfile.ZipFile(built.path) as opened:
        infos = opened.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {stat.S_IMODE(info.external_attr >> 16) for info in infos} == {0o644}
    assert {info.create_system for info in infos} == {3}


def test_code_zip_hashes_are_those_lambda_reports(project: Path, tmp_path: Path) -> None:
    """sha256 is the hex digest of the zip; source_code_hash its base64 form."""
    built = build_code(project, tmp_path / "code.zip")
    digest = hashlib.sha256(built.path.read_bytes()).digest()
    assert built.sha256 == digest.hex()
    assert built.source_code_hash == base64.b64encode(digest).decode()


def test_symlinked_directories_are_followed(tmp_path: Path) -> None:
    """An actions/ symlink packs as the directory it points at."""
    real = build_code(make_project(tmp_path / "real"), tmp_path / "real.zip")
    linked = make_project(tmp_path / "linked", actions_at=tmp_path / "shared" / "actions")
    assert (linked / "actions").is_symlink()
    assert build_code(linked, tmp_path / "linked.zip").sha256 == real.sha256


def test_symlink_loop_is_refused(project: Path, tmp_path: Path) -> None:
    """A link back to an ancestor fails with the path, instead of recursing forever."""
    (project / "actions" / "support" / "again").symlink_to(project / "actions")
    with pytest.raises(PackagingError, match="symlink loop"):
        build_code(project, tmp_path / "code.zip")


def test_broken_symlink_is_refused(project: Path, tmp_path: Path) -> None:
    """A dangling link fails with its path rather than being skipped silently."""
    (project / "actions" / "gone.py").symlink_to(project / "nowhere.py")
    with pytest.raises(PackagingError, match="broken symlink"):
        build_code(project, tmp_path / "code.zip")


def test_project_without_a_spec_is_refused(tmp_path: Path) -> None:
    """A wrong --project fails, naming what it looked for."""
    with pytest.raises(PackagingError, match=r"assistant\.yaml"):
        build_code(tmp_path, tmp_path / "code.zip")


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        pytest.param("pulumi>=3.200,<4", False, id="pulumi"),
        pytest.param("pulumi-aws>=7.0,<8", False, id="pulumi-aws"),
        pytest.param("Pulumi_AWS==7.1", False, id="pulumi-aws-other-spelling"),
        pytest.param("pulumi-random>=4", True, id="other-pulumi-package"),
        pytest.param("boto3>=1.40,<2", True, id="boto3-pinned-anyway"),
        pytest.param("PyJWT[crypto]>=2.10,<3", True, id="extras"),
        pytest.param("# a comment", False, id="comment"),
    ],
)
def test_runtime_requirements_drop_deploy_only_packages(line: str, kept: bool) -> None:
    """Only the deploy-only packages and comments are left out of the layer."""
    assert runtime_requirements(f"{line}\n") == ([line] if kept else [])


def test_runtime_requirements_refuse_nested_files() -> None:
    """A -r line would resolve against the wrong directory; it fails instead."""
    with pytest.raises(PackagingError, match="nested"):
        runtime_requirements("-r other.txt\n")


def test_runtime_requirements_keep_the_pinned_package() -> None:
    """A generated project's requirements keep the governance package's pin and lose Pulumi."""
    pinned = "governed-assistant[infra] @ git+file:///src/template@0123abc#subdirectory=components"
    kept = runtime_requirements(f"# managed\n{pinned}\npulumi>=3\nrequests>=2\n")
    assert kept == [pinned, "requests>=2"]


@pytest.mark.parametrize(("architecture", "machine"), [("arm64", "aarch64"), ("x86_64", "x86_64")])
@pytest.mark.parametrize("build", [pip_command, resolve_command], ids=["install", "resolve"])
def test_pip_commands_target_lambda_wheels(
    build: Callable[..., list[str]], architecture: str, machine: str
) -> None:
    """Locking and installing both choose binary wheels only, for Lambda's Python and instruction set."""
    command = build(Path("r.txt"), Path("t"), architecture, "3.12")
    assert f"manylinux2014_{machine}" in command
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"


def test_install_command_takes_only_hash_pinned_packages() -> None:
    """The layer's install checks every file against the lock's hash, resolves nothing, writes no .pyc."""
    command = pip_command(Path("r.txt"), Path("t"), "arm64", "3.12")
    assert {"--require-hashes", "--no-deps", "--no-compile"} <= set(command)
    assert command[command.index("-r") + 1] == "r.txt"


def test_resolve_command_installs_nothing_and_reports() -> None:
    """Locking is a dry run that ignores this machine's packages and writes pip's report."""
    command = resolve_command(Path("r.txt"), Path("report.json"), "arm64", "3.12")
    assert {"--dry-run", "--ignore-installed"} <= set(command)
    assert command[command.index("--report") + 1] == "report.json"


def test_cli_builds_the_code_zip_and_prints_its_hashes(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`build --code-only` writes out/code.zip and prints its path and both hashes."""
    assert main(["build", "--project", str(project), "--out", str(tmp_path / "out"), "--code-only"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    kind, path, sha, source_hash = line.split("\t")
    built = build_code(project, tmp_path / "again.zip")
    assert (kind, path) == ("code", str(tmp_path / "out" / "code.zip"))
    assert (sha, source_hash) == (f"sha256={built.sha256}", f"source_code_hash={built.source_code_hash}")


def test_cli_reports_errors_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing project exits 1 with the reason on stderr."""
    assert main(["build", "--project", str(tmp_path), "--out", str(tmp_path / "out"), "--code-only"]) == 1
    assert "assistant.yaml" in capsys.readouterr().err


_OFFLINE_MARKERS = (
    "Could not find a version",
    "No matching distribution",
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Read timed out",
)


def from_the_index(action: Callable[[], T]) -> T:
    """Run ``action``, which needs the package index; skip (under CI: fail) when it is unreachable."""
    try:
        return action()
    except PackagingError as error:
        if any(marker in str(error) for marker in _OFFLINE_MARKERS):
            skip_or_fail_in_ci(f"the package index is unreachable: {str(error)[-300:]}")
        raise


# A small requirements file with one compiled package (its wheel is per platform) and Pulumi,
# which the layer leaves out.
TINY = "PyYAML>=6,<7\npulumi>=3.200,<4\n"
YAML_EXTENSION = "python/yaml/_yaml.cpython-312-aarch64-linux-gnu.so"


def tiny_project(root: Path, requirements: str = TINY) -> Path:
    project = make_project(root)
    (project / "requirements.txt").write_text(requirements)
    return project


@pytest.fixture(scope="module")
def tiny_locked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose requirements.lock was just made through the package index."""
    project = tiny_project(tmp_path_factory.mktemp("tiny") / "project")
    from_the_index(lambda: lock_layer(project))
    return project


def test_lock_pins_one_wheel_for_lambda_from_the_index(tiny_locked: Path) -> None:
    """`lock` resolves for manylinux aarch64 and CPython 3.12: PyYAML at one version and sha256, no Pulumi."""
    lock = parse_lock((tiny_locked / LOCK_FILE).read_text())
    assert (lock.architecture, lock.python) == ("arm64", "3.12")
    assert lock.requirements_sha256 == requirements_sha256(["PyYAML>=6,<7"])
    (package,) = lock.packages
    assert package.name == "pyyaml"
    assert package.version.startswith("6.")
    assert len(package.hashes) == 1


def test_cli_lock_writes_the_same_lock_again_and_says_so(
    tiny_locked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make lock`'s command writes requirements.lock and prints its path; again, the same file."""
    project = tiny_project(tmp_path / "project")
    assert from_the_index(lambda: main(["lock", "--project", str(project)])) == 0
    assert (project / LOCK_FILE).read_text() == (tiny_locked / LOCK_FILE).read_text()
    out = capsys.readouterr().out
    assert out.startswith(f"lock\t{project / LOCK_FILE}\tpackages=1\tarchitecture=arm64\tpython=3.12\t")


def test_layer_from_a_lock_builds_identically_twice(tiny_locked: Path, tmp_path: Path) -> None:
    """Two builds from one lock give the same bytes, with the aarch64 CPython 3.12 extension inside."""
    first = from_the_index(lambda: build_layer(tiny_locked, tmp_path / "a" / "layer.zip"))
    second = build_layer(tiny_locked, tmp_path / "b" / "layer.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert YAML_EXTENSION in names(first.path)
    assert not [name for name in names(first.path) if name.startswith("python/pulumi")]


def test_layer_installs_the_locked_version_not_the_newest(tmp_path: Path) -> None:
    """A lock made when requirements.txt said PyYAML==6.0.2 builds 6.0.2 once the range admits newer;
    `lock` then takes the newest."""
    old = tiny_project(tmp_path / "old", "PyYAML==6.0.2\n")
    locked = from_the_index(lambda: lock_layer(old))
    widened = tiny_project(tmp_path / "widened", "PyYAML>=6,<7\n")
    digest = requirements_sha256(runtime_requirements("PyYAML>=6,<7\n"))
    (widened / LOCK_FILE).write_text(render_lock(LayerLock(digest, "arm64", "3.12", locked.packages)))
    layer = build_layer(widened, tmp_path / "layer.zip")
    assert {name.split("/")[1].lower() for name in names(layer.path) if ".dist-info/" in name} == {
        "pyyaml-6.0.2.dist-info"
    }
    (relocked,) = lock_layer(widened).packages
    assert relocked.version != "6.0.2"


def test_cli_first_build_writes_the_lock_and_says_to_commit_it(
    tiny_locked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make build` without requirements.lock writes it (the one `lock` writes), then builds from it."""
    project = tiny_project(tmp_path / "project")
    assert (
        from_the_index(lambda: main(["build", "--project", str(project), "--out", str(tmp_path / "out")]))
        == 0
    )
    assert (project / LOCK_FILE).read_text() == (tiny_locked / LOCK_FILE).read_text()
    kinds = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert kinds == ["code", "layer", "lock"]
    assert YAML_EXTENSION in names(tmp_path / "out" / "layer.zip")


def test_layer_refuses_a_wheel_whose_hash_is_not_the_locked_one(tiny_locked: Path, tmp_path: Path) -> None:
    """A wheel that is not the file the lock hashed (replaced on the index, tampered) fails the build."""
    lock = parse_lock((tiny_locked / LOCK_FILE).read_text())
    project = tiny_project(tmp_path / "project")
    forged = [type(package)(package.name, package.version, ("0" * 64,)) for package in lock.packages]
    (project / LOCK_FILE).write_text(
        render_lock(LayerLock(lock.requirements_sha256, "arm64", "3.12", tuple(forged)))
    )
    with pytest.raises(PackagingError, match="DO NOT MATCH THE HASHES"):
        from_the_index(lambda: build_layer(project, tmp_path / "layer.zip"))


@pytest.fixture(scope="module")
def layers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two layers built from one project pinning this checkout's package (needs the package index):
    the first writes project/requirements.lock, the second installs from it."""
    root = tmp_path_factory.mktemp("layer")
    project = root / "project"
    project.mkdir()
    package = (REPO_ROOT / "components").as_uri()
    (project / "requirements.txt").write_text(
        f"governed-assistant[infra,local] @ {package}\npulumi>=3.200,<4\n"
    )
    first = from_the_index(lambda: build_layer(project, root / "a" / "layer.zip"))
    assert (project / LOCK_FILE).is_file()
    second = build_layer(project, root / "b" / "layer.zip")
    return first.path, second.path


@pytest.mark.slow
def test_layer_lock_pins_the_packages_dependencies_not_the_package_or_pulumi(
    layers: tuple[Path, Path],
) -> None:
    """The first build's lock lists the runtime's dependencies, not the package (pinned by commit), Pulumi."""
    lock = parse_lock((layers[0].parent.parent / "project" / LOCK_FILE).read_text())
    locked = {package.name for package in lock.packages}
    assert {"boto3", "pydantic", "aws-lambda-powertools", "cedarpy", "pyjwt", "pyyaml"} <= locked
    assert not locked & {"governed-assistant", "pulumi", "pulumi-aws", "moto"}


@pytest.mark.slow
def test_layer_builds_identically_twice(layers: tuple[Path, Path]) -> None:
    """Two layer builds from the same requirements give the same bytes (the first made the lock)."""
    first, second = layers
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.slow
def test_layer_carries_the_handlers_and_their_dependencies(layers: tuple[Path, Path]) -> None:
    """The package's handlers and runtime are in the layer, with Powertools and boto3."""
    packed = names(layers[0])
    assert all(name.startswith("python/") for name in packed)
    assert "python/governed_assistant/handlers/api.py" in packed
    assert "python/governed_assistant/runtime/gate/gate.py" in packed
    # The console the API function serves: its page and script are package data.
    console = {f"python/governed_assistant/console/console.{suffix}" for suffix in ("html", "js")}
    assert console <= set(packed)
    assert "python/aws_lambda_powertools/__init__.py" in packed
    assert any(name.startswith("python/boto3/") for name in packed)


@pytest.mark.slow
def test_layer_leaves_out_pulumi_the_local_stack_and_build_traces(layers: tuple[Path, Path]) -> None:
    """No Pulumi (extras dropped), no offline stack or test helpers, no scripts, .pyc or install paths."""
    packed = names(layers[0])
    assert not [name for name in packed if name.startswith(("python/pulumi/", "python/pulumi_aws/"))]
    assert not [name for name in packed if name.startswith(("python/moto/", "python/psycopg/"))]
    left_out = tuple(f"python/governed_assistant/{module}/" for module in ("infra", "local", "testing"))
    assert not [name for name in packed if name.startswith(left_out)]
    assert not [name for name in packed if name.startswith("python/bin/") or name.endswith(".pyc")]
    assert not [name for name in packed if name.endswith("/direct_url.json")]


_BLOCKED_IMPORT = """
import importlib, sys
blocked = tuple("governed_assistant." + module for module in sys.argv[1].split(","))
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(blocked):
            raise ImportError(f"{name} is not in the Lambda layer")
sys.meta_path.insert(0, Refuse())
for handler in sys.argv[2:]:
    module, _, attribute = handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute)), handler
"""


def test_every_handler_imports_without_the_modules_the_layer_leaves_out() -> None:
    """No handler needs infra, scaffold, local or testing, so the layer can leave them out."""
    result = subprocess.run(
        [sys.executable, "-c", _BLOCKED_IMPORT, ",".join(LAYER_EXCLUDED_MODULES), *HANDLERS.values()],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
