"""Build the Lambda code archive and the dependencies layer, byte for byte reproducibly.

Same inputs, same bytes (``archive``: sorted entries, fixed dates and modes, no caches), and
the layer's inputs are themselves fixed: exact versions and wheel hashes (``layer_lock``).

    python -m governed_assistant.infra.packaging build --project . --out build/

prints each archive's path, its SHA-256 (hex) and the base64 form Lambda's
``source_code_hash`` takes.

The code archive holds only the owner's files; the governance package travels in the layer,
installed from the same requirements.txt line that pins it for the project (its offline stack
and test helpers left out: no function imports them). Every other package of the layer comes
from requirements.lock, at the exact version and wheel hash it lists (``layer_lock``):

    python -m governed_assistant.infra.packaging lock --project .

resolves requirements.txt again and rewrites the lock; ``build`` writes it only when there is
none, and refuses one made from other requirements.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

from governed_assistant.infra.archive import BuiltArchive, PackagingError, collect_files, write_zip
from governed_assistant.infra.layer_lock import (
    LOCK_FILE,
    LayerLock,
    LockError,
    canonical_name,
    check_lock,
    packages_from_report,
    parse_lock,
    render_lock,
    requirements_sha256,
)

__all__ = [
    "LAMBDA_PYTHON",
    "LAYER_EXCLUDED_MODULES",
    "PLATFORMS",
    "Architecture",
    "BuiltArchive",
    "PackagingError",
    "build_code",
    "build_layer",
    "lock_layer",
    "main",
    "pip_command",
    "resolve_command",
    "runtime_requirements",
]

# What the handlers import or read at run time from the project: the spec itself, the owner's
# actions, and what the runtime loads (Cedar policies, the system prompt).
REQUIRED_PATHS: Final = ("assistant.yaml",)
OPTIONAL_PATHS: Final = ("actions", "policies", "prompts")
# The governance package's parts no function imports (a test imports every handler without
# them): the Pulumi components, the scaffolder, the offline stack, the test helpers, and the
# erasure, which an operator runs with their own credentials (no function may erase a tenant).
PACKAGE_NAME: Final = "governed-assistant"
LAYER_EXCLUDED_MODULES: Final = ("infra", "scaffold", "local", "testing", "erasure")
LAYER_EXCLUDED: Final = tuple(f"python/governed_assistant/{module}/" for module in LAYER_EXCLUDED_MODULES)

# Packages in requirements.txt that only ``pulumi up`` needs: never shipped to Lambda.
DEPLOY_ONLY: Final = frozenset({"pulumi", "pulumi-aws"})
LAMBDA_PYTHON: Final = "3.12"

Architecture = Literal["arm64", "x86_64"]
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 (glibc 2.17)
# wheels run there, and so do manylinux_2_28 ones, which some packages publish alone.
PLATFORMS: Final[dict[Architecture, tuple[str, ...]]] = {
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}


def build_code(project: Path, out: Path) -> BuiltArchive:
    """Zip the owner's files the handlers read (``assistant.yaml``, ``actions/``, ``policies/``,
    ``prompts/``) from ``project`` into ``out``."""
    missing = [top for top in REQUIRED_PATHS if not (project / top).exists()]
    if missing:
        raise PackagingError(
            f"{missing} not found in project={project}; pass the project's root as --project"
        )
    present = [top for top in OPTIONAL_PATHS if (project / top).exists()]
    return write_zip(collect_files(project, (*REQUIRED_PATHS, *present)), out)


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def runtime_requirements(requirements: str) -> list[str]:
    """``requirements.txt``'s lines less the deploy-only packages (``DEPLOY_ONLY``) and comments.

    boto3 stays although the Lambda runtime has one: that copy is whatever AWS last
    bundled, changes under a deployed function without notice, and may predate the
    Bedrock APIs the runtime calls (Converse, ApplyGuardrail); a pinned one is the
    version the tests ran against.
    """
    kept = []
    for raw in requirements.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r", "-c", "--requirement", "--constraint")):
            raise PackagingError(
                f"nested requirement files are not followed, line={line!r}; "
                "list their packages in requirements.txt"
            )
        match = _NAME.match(line)
        if match and canonical_name(match.group(1)) in DEPLOY_ONLY:
            continue
        kept.append(line)
    return kept


def _lambda_platform(architecture: Architecture, python: str) -> list[str]:
    """pip's options that choose wheels for Lambda: its manylinux tags, CPython ``python``, never an sdist."""
    platforms = [arg for platform in PLATFORMS[architecture] for arg in ("--platform", platform)]
    return [*platforms, "--only-binary=:all:", "--python-version", python, "--implementation", "cp"]


def pip_command(requirements: Path, target: Path, architecture: Architecture, python: str) -> list[str]:
    """The ``pip install`` that puts exactly ``requirements``' hash-pinned Lambda wheels into ``target``.

    ``--require-hashes`` refuses a line without a hash and a file whose sha256 is not one of its
    line's; ``--no-deps`` installs the lock's list and nothing pip would resolve beside it.
    """
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        *_lambda_platform(architecture, python), "--require-hashes", "--no-deps",
        # No .pyc (they embed source mtimes) and no console scripts (their shebang names this
        # machine's Python): neither is of use in Lambda, both would vary between builds.
        "--no-compile", "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip


def resolve_command(requirements: Path, report: Path, architecture: Architecture, python: str) -> list[str]:
    """The dry-run ``pip install`` that resolves ``requirements`` for Lambda and reports each wheel.

    The report (``--report``) names every package pip chose, its version and its wheel's sha256;
    nothing is installed. ``--target`` only lets pip take another platform's options (it is
    never written), ``--ignore-installed`` keeps this machine's packages out of the resolution.
    """
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--dry-run", "--ignore-installed", *_lambda_platform(architecture, python),
        "--target", str(report.with_suffix(".target")), "--report", str(report), "-r", str(requirements),
    ]  # fmt: skip


def _requirement_name(line: str) -> str | None:
    match = _NAME.match(line)
    return canonical_name(match.group(1)) if match else None


def _package_wheel(line: str, wheels: Path) -> str:
    """Build the pinned governance package (``name[extras] @ url``) into a wheel; return its path.

    pip cannot install a git URL for another platform (it would have to build it there), but the
    package is pure Python: its wheel installs anywhere. Extras are dropped on the way: ``infra``
    is Pulumi, which no function imports, and ``local`` is the offline stack.
    """
    _, _, url = line.partition("@")
    if not url.strip():
        raise PackagingError(
            f"the governance package is not pinned to a URL, line={line!r}; run copier update"
        )
    result = subprocess.run(  # noqa: S603 - a fixed command line; no shell
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
            "--wheel-dir", str(wheels), f"{PACKAGE_NAME} @ {url.strip()}",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    built = sorted(wheels.glob("governed_assistant-*.whl"))
    if result.returncode != 0 or not built:
        raise PackagingError(
            f"pip could not build the governance package, exit={result.returncode}, line={line!r}: "
            f"{result.stderr.strip()[-2000:]}"
        )
    return str(built[-1])


def _run_pip(command: list[str], doing: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
    if result.returncode != 0:
        raise PackagingError(
            f"pip could not {doing}, exit={result.returncode}: {result.stderr.strip()[-2000:]}"
        )


def _runtime_lines(project: Path) -> list[str]:
    requirements = project / "requirements.txt"
    if not requirements.is_file():
        raise PackagingError(f"no requirements.txt in project={project}; the layer is built from it")
    return runtime_requirements(requirements.read_text())


def _with_package_wheel(lines: Sequence[str], wheels: Path) -> tuple[list[str], list[Path]]:
    """``lines`` with the governance package's pin replaced by the wheel built from it; the wheels."""
    built: list[Path] = []
    replaced = []
    for line in lines:
        if _requirement_name(line) == PACKAGE_NAME:
            built.append(Path(_package_wheel(line, wheels)))
            replaced.append(str(built[-1]))
        else:
            replaced.append(line)
    return replaced, built


def _resolve(
    lines: Sequence[str], workspace: Path, architecture: Architecture, python: str
) -> tuple[LayerLock, list[Path]]:
    """Resolve ``lines`` for Lambda: the lock of every package but the governance one, and its wheel."""
    resolvable, wheels = _with_package_wheel(lines, workspace / "wheels")
    requirements = workspace / "resolve.txt"
    requirements.write_text("".join(f"{line}\n" for line in resolvable))
    report = workspace / "report.json"
    _run_pip(resolve_command(requirements, report, architecture, python), "resolve the layer's packages")
    packages = packages_from_report(json.loads(report.read_text()), unlocked=[PACKAGE_NAME])
    return LayerLock(requirements_sha256(lines), architecture, python, packages), wheels


def lock_layer(
    project: Path, *, architecture: Architecture = "arm64", python: str = LAMBDA_PYTHON
) -> LayerLock:
    """Resolve ``project/requirements.txt``'s runtime packages for Lambda into ``project/requirements.lock``.

    Always resolves again: the way to take newer releases within requirements.txt's ranges.
    """
    lines = _runtime_lines(project)
    with tempfile.TemporaryDirectory(prefix="lock-") as workspace:
        lock, _ = _resolve(lines, Path(workspace), architecture, python)
    (project / LOCK_FILE).write_text(render_lock(lock))
    return lock


def build_layer(
    project: Path, out: Path, *, architecture: Architecture = "arm64", python: str = LAMBDA_PYTHON
) -> BuiltArchive:
    """Install ``project/requirements.lock``'s packages and the pinned governance package for Lambda;
    zip them under ``python/``.

    Without a lock, writes one first (``lock_layer``); a lock made from other requirements, or for
    another platform, is refused (``StaleLockError``, ``LockError``).
    """
    lines = _runtime_lines(project)
    lock_path = project / LOCK_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="layer-", dir=out.parent) as workspace:
        if lock_path.is_file():
            lock = parse_lock(lock_path.read_text())
            check_lock(
                lock, requirements_digest=requirements_sha256(lines), architecture=architecture, python=python
            )
            _, wheels = _with_package_wheel(lines, Path(workspace, "wheels"))
        else:
            lock, wheels = _resolve(lines, Path(workspace), architecture, python)
            lock_path.write_text(render_lock(lock))
        # The governance wheel is exact by its commit pin; the hash of the file just built from it
        # is there because --require-hashes holds every line of the file to one.
        pinned = [package.line() for package in lock.packages] + [
            f"{wheel} --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}" for wheel in wheels
        ]
        requirements = Path(workspace, "install.txt")
        requirements.write_text("".join(f"{line}\n" for line in pinned))
        target = Path(workspace, "python")
        _run_pip(pip_command(requirements, target, architecture, python), "install the layer's packages")
        _forget_install_paths(target)
        files = collect_files(Path(workspace), ["python"])
        return write_zip([(name, path) for name, path in files if _in_layer(name)], out)


def _in_layer(name: str) -> bool:
    return not name.startswith(("python/bin/", *LAYER_EXCLUDED))


def _forget_install_paths(target: Path) -> None:
    """Drop each ``direct_url.json`` (and its RECORD line): it names where pip found a package,
    here a temporary directory, so two builds of the same requirements would differ."""
    for direct_url in target.glob("*.dist-info/direct_url.json"):
        direct_url.unlink()
        record = direct_url.with_name("RECORD")
        if record.is_file():
            lines = record.read_text().splitlines(keepends=True)
            record.write_text("".join(line for line in lines if "/direct_url.json," not in line))


def _print(kind: str, built: BuiltArchive) -> None:
    print(f"{kind}\t{built.path}\tsha256={built.sha256}\tsource_code_hash={built.source_code_hash}")


def _print_lock(path: Path, lock: LayerLock) -> None:
    print(
        f"lock\t{path}\tpackages={len(lock.packages)}\tarchitecture={lock.architecture}\t"
        f"python={lock.python}\twritten from requirements.txt: commit it"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m governed_assistant.infra.packaging",
        description="Build the Lambda code zip and layer zip; lock the layer's packages.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build build/code.zip and build/layer.zip")
    lock = commands.add_parser(
        "lock", help="resolve requirements.txt's layer packages into requirements.lock"
    )
    for command in (build, lock):
        command.add_argument("--project", type=Path, default=Path("."), help="the project root (default: .)")
        command.add_argument("--architecture", choices=sorted(PLATFORMS), default="arm64")
        command.add_argument("--python-version", default=LAMBDA_PYTHON, help="the Lambda runtime's Python")
    build.add_argument("--out", type=Path, default=Path("build"), help="where the zips go (default: build/)")
    build.add_argument("--code-only", action="store_true", help="skip the layer (no package index needed)")
    args = parser.parse_args(argv)
    platform = {"architecture": args.architecture, "python": args.python_version}
    lock_path = args.project / LOCK_FILE
    try:
        if args.command == "lock":
            _print_lock(lock_path, lock_layer(args.project, **platform))
            return 0
        _print("code", build_code(args.project, args.out / "code.zip"))
        if not args.code_only:
            had_lock = lock_path.is_file()
            _print("layer", build_layer(args.project, args.out / "layer.zip", **platform))
            if not had_lock:
                _print_lock(lock_path, parse_lock(lock_path.read_text()))
    except (PackagingError, LockError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
