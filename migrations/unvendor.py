"""Run by copier's ``_migrations`` when a project crosses 0.4.0: from vendored code to a pinned package.

Why it exists: up to 0.3.0 every project carried the governance code as ``components/``
(template-owned, about 200 files); from 0.4.0 it installs the ``governed_assistant`` package
its requirements.txt pins. copier update alone would delete ``components/``, edits and all, and
leave the owner's actions importing a package that is gone. Before the new version renders,
this script:

1. compares every file under ``components/`` with the release the project was rendered from
   (``_commit`` in .copier-answers.yml, read from this template checkout's history) and copies
   each file the owner changed or added to ``vendored-edits/components/...``, listing them: an
   edit to vendored code is reported, never silently dropped;
2. removes ``components/``;
3. rewrites ``components.`` imports to ``governed_assistant.`` in the owner's Python files (those
   without the template's "Managed by" header: actions, their tests, anything the owner added).

    python migrations/unvendor.py [--project .]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
VENDORED = "components"
EDITS_DIR = "vendored-edits"
HEADER = "Managed by the governed-assistant template"
SKIPPED_DIRS = frozenset({".git", ".venv", "build", "__pycache__", EDITS_DIR, VENDORED, ".local"})
IGNORED_NAMES = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_IMPORT = re.compile(r"^(\s*)(from|import)(\s+)components(?=[.\s])", re.MULTILINE)


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(TEMPLATE_ROOT), *args], capture_output=True, check=False)  # noqa: S603, S607


def vendored_originals(commit: str) -> dict[str, bytes] | None:
    """``components/``'s files as release ``commit`` shipped them, or None when history lacks it."""
    listed = _git("ls-tree", "-r", "-z", "--name-only", f"{commit}^{{commit}}", "--", f"{VENDORED}/")
    if listed.returncode != 0:
        return None
    originals = {}
    for name in filter(None, listed.stdout.decode().split("\0")):
        shown = _git("show", f"{commit}:{name}")
        if shown.returncode == 0:
            originals[name] = shown.stdout
    return originals


def owner_edits(project: Path, originals: dict[str, bytes] | None) -> list[str]:
    """Files under ``components/`` that differ from the release (all of them when it is unknown)."""
    edited = []
    for path in sorted((project / VENDORED).rglob("*")):
        if not path.is_file() or IGNORED_NAMES & set(path.parts) or path.suffix in {".pyc", ".pyo"}:
            continue
        name = path.relative_to(project).as_posix()
        if originals is None or originals.get(name) != path.read_bytes():
            edited.append(name)
    return edited


def owner_python_files(project: Path) -> list[Path]:
    """The project's Python files the owner writes: no template header, outside tool directories."""
    found = []
    for path in sorted(project.rglob("*.py")):
        if SKIPPED_DIRS & set(path.relative_to(project).parts[:-1]):
            continue
        head = "".join(path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[:3])
        if HEADER not in head:
            found.append(path)
    return found


def rewrite_imports(path: Path) -> bool:
    """``from components.x import y`` -> ``from governed_assistant.x import y``; True when changed."""
    text = path.read_text(encoding="utf-8")
    rewritten = _IMPORT.sub(r"\1\2\3governed_assistant", text)
    if rewritten != text:
        path.write_text(rewritten, encoding="utf-8")
    return rewritten != text


def migrate(project: Path) -> list[str]:
    """Move ``project`` off the vendored layout; return the report's lines."""
    report: list[str] = []
    vendored = project / VENDORED
    if vendored.is_dir():
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8")) or {}
        commit = str(answers.get("_commit") or "")
        originals = vendored_originals(commit) if commit else None
        if originals is None:
            report.append(f"release {commit or '(unknown)'} not found in the template's history: every")
            report.append("vendored file is kept for review, whether you edited it or not")
        edited = owner_edits(project, originals)
        for name in edited:
            target = project / EDITS_DIR / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / name, target)
        if edited:
            report.append(
                f"{len(edited)} edited vendored file(s) kept in {EDITS_DIR}/ (the package replaces them;"
            )
            report.append("carry what you need into your own files or propose it upstream):")
            report.extend(f"  {name}" for name in edited)
        shutil.rmtree(vendored)
        report.append(
            f"removed {VENDORED}/: the governance code is now the pinned governed_assistant package"
        )
    for path in owner_python_files(project):
        if rewrite_imports(path):
            report.append(
                f"rewrote imports of components to governed_assistant in {path.relative_to(project)}"
            )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("."), help="the project root (default: .)")
    args = parser.parse_args(argv)
    for line in migrate(args.project.resolve()):
        print(f"migration 0.4.0: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
