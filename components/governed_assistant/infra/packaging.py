"""Build the Lambda code archive and the dependencies layer, byte for byte reproducibly.

Same inputs, same bytes: entries sorted, every timestamp 1980-01-01 (the earliest a zip
can hold), every file 0644, no caches or compiled files. So the archive's hash changes
only when the code does, and ``pulumi up`` updates a function only then.

    python -m governed_assistant.infra.packaging build --project . --out build/

prints each archive's path, its SHA-256 (hex) and the base64 form Lambda's
``source_code_hash`` takes.

The code archive holds only the owner's files; the governance package travels in the layer,
installed from the same requirements.txt line that pins it for the project (its offline stack
and test helpers left out: no function imports them).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from governed_assistant.errors import GovernanceError

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

EXCLUDED_NAMES: Final = frozenset(
    {
        "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".git",
        ".venv", "node_modules", ".DS_Store",
    }
)  # fmt: skip
EXCLUDED_SUFFIXES: Final = (".pyc", ".pyo", ".swp", "~")

ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
FILE_MODE: Final = 0o644
_UNIX: Final = 3  # ZipInfo.create_system for Unix, whatever machine builds the archive

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


class PackagingError(GovernanceError):
    """When the code or the dependencies cannot be packaged for Lambda."""


@dataclass(frozen=True)
class BuiltArchive:
    """A zip ready for Lambda, and its hashes."""

    path: Path
    sha256: str
    """Hex SHA-256 of the zip's bytes."""
    source_code_hash: str
    """Base64 SHA-256 of the zip's bytes: what Lambda reports as ``CodeSha256``."""
    entries: int


def _excluded(name: str) -> bool:
    return name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def _walk(path: Path, arcname: str, ancestors: frozenset[str]) -> Iterator[tuple[str, Path]]:
    """Yield ``(name in the archive, file)`` under ``path``, following symlinks, refusing loops."""
    if path.is_symlink() and not path.exists():
        raise PackagingError(f"broken symlink, path={path} -> {os.readlink(path)}; fix or remove it")
    mode = path.stat().st_mode  # follows symlinks: a linked directory is packaged as its content
    if stat.S_ISREG(mode):
        yield arcname, path
        return
    if not stat.S_ISDIR(mode):
        raise PackagingError(f"not a regular file or directory, path={path}; remove it from the package")
    real = os.path.realpath(path)
    if real in ancestors:
        raise PackagingError(f"symlink loop, path={path} leads back to {real}; remove the link")
    for child in sorted(os.listdir(path)):
        if not _excluded(child):
            yield from _walk(path / child, f"{arcname}/{child}", ancestors | {real})


def collect_files(root: Path, paths: Iterable[str]) -> list[tuple[str, Path]]:
    """Every file to package under ``root``'s ``paths``, sorted by its name in the archive."""
    files = [entry for top in paths for entry in _walk(root / top, top, frozenset())]
    names = [name for name, _ in files]
    if len(set(names)) != len(names):
        raise PackagingError(f"two files share a name in the archive, root={root}")
    return sorted(files)


def write_zip(files: Sequence[tuple[str, Path]], out: Path) -> BuiltArchive:
    """Write ``files`` (name in the archive, source) to ``out`` deterministically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, source in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = _UNIX
            info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    partial.replace(out)
    digest = hashlib.sha256(out.read_bytes()).digest()
    return BuiltArchive(out, digest.hex(), base64.b64encode(digest).decode(), len(files))


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


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


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
        if match and _normalized(match.group(1)) in DEPLOY_ONLY:
            continue
        kept.append(line)
    return kept


def pip_command(requirements: Path, target: Path, architecture: Architecture, python: str) -> list[str]:
    """The ``pip install`` that fetches Lambda-compatible wheels (never builds) into ``target``."""
    platforms = [arg for platform in PLATFORMS[architecture] for arg in ("--platform", platform)]
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        *platforms, "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
        # No .pyc (they embed source mtimes) and no console scripts (their shebang names this
        # machine's Python): neither is of use in Lambda, both would vary between builds.
        "--no-compile", "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip


def _requirement_name(line: str) -> str | None:
    match = _NAME.match(line)
    return _normalized(match.group(1)) if match else None


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


def build_layer(
    project: Path, out: Path, *, architecture: Architecture = "arm64", python: str = LAMBDA_PYTHON
) -> BuiltArchive:
    """Install ``project/requirements.txt``'s runtime packages for Lambda and zip them under ``python/``."""
    requirements = project / "requirements.txt"
    if not requirements.is_file():
        raise PackagingError(f"no requirements.txt in project={project}; the layer is built from it")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="layer-", dir=out.parent) as workspace:
        lines = [
            _package_wheel(line, Path(workspace, "wheels"))
            if _requirement_name(line) == PACKAGE_NAME
            else line
            for line in runtime_requirements(requirements.read_text())
        ]
        filtered = Path(workspace, "requirements.txt")
        filtered.write_text("\n".join(lines) + "\n")
        target = Path(workspace, "python")
        result = subprocess.run(  # noqa: S603 - a fixed command line; no shell
            pip_command(filtered, target, architecture, python), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise PackagingError(
                f"pip could not install the layer's packages, exit={result.returncode}: "
                f"{result.stderr.strip()[-2000:]}"
            )
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m governed_assistant.infra.packaging",
        description="Build the Lambda code zip and layer zip.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build build/code.zip and build/layer.zip")
    build.add_argument("--project", type=Path, default=Path("."), help="the project root (default: .)")
    build.add_argument("--out", type=Path, default=Path("build"), help="where the zips go (default: build/)")
    build.add_argument("--architecture", choices=sorted(PLATFORMS), default="arm64")
    build.add_argument("--python-version", default=LAMBDA_PYTHON, help="the Lambda runtime's Python")
    build.add_argument("--code-only", action="store_true", help="skip the layer (no package index needed)")
    args = parser.parse_args(argv)
    try:
        _print("code", build_code(args.project, args.out / "code.zip"))
        if not args.code_only:
            layer = build_layer(
                args.project,
                args.out / "layer.zip",
                architecture=args.architecture,
                python=args.python_version,
            )
            _print("layer", layer)
    except PackagingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
