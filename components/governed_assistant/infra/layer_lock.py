"""requirements.lock: the Lambda layer's packages at exact versions, each with its wheel's sha256.

``python -m governed_assistant.infra.packaging lock`` (``make lock``) writes it: pip resolves
requirements.txt's runtime lines for Lambda's platform in a dry run, whose report names every
package, its version and the sha256 of the wheel it chose. ``build`` installs exactly what the
lock lists, with ``--require-hashes``, so two builds days apart carry the same packages although
requirements.txt gives ranges, and a wheel that changed under the same name and version fails
the build instead of entering the layer.

The file is pip's own hash-checking format under a header that records what it was made from::

    # requirements-sha256: <sha256 of requirements.txt's runtime lines>
    # architecture: arm64
    # python: 3.12
    boto3==1.40.70 \\
        --hash=sha256:<hex>

The governance package is not listed: requirements.txt pins it at a commit, which is exact
already (and pip cannot hash a git checkout); the build installs that commit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from governed_assistant.errors import GovernanceError, shown

LOCK_FILE: Final = "requirements.lock"
# The header's keys, in the order they are written.
REQUIREMENTS_KEY: Final = "requirements-sha256"
ARCHITECTURE_KEY: Final = "architecture"
PYTHON_KEY: Final = "python"
STALE_MESSAGE: Final = "requirements.txt changed since requirements.lock: run make lock"

_HEADER: Final = """\
# The Lambda layer's packages, each at one version with the sha256 of its wheel for the layer's
# platform. Written by `make lock` from requirements.txt: commit it. `make build` installs exactly
# these (pip --require-hashes), and stops when requirements.txt has changed since.
# The governance package is not listed: requirements.txt pins it at a commit.
"""
_HEADER_LINE: Final = re.compile(r"^#\s*([a-z0-9-]+):\s*(\S+)\s*$")
_PINNED: Final = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>[A-Za-z0-9.!+_-]+)"
    r"(?P<hashes>(?:\s+--hash=sha256:[0-9a-f]{64})+)$"
)
_SHA256: Final = re.compile(r"--hash=sha256:([0-9a-f]{64})")


class LockError(GovernanceError):
    """When requirements.lock cannot be made or read, or was made for another platform."""


class StaleLockError(LockError):
    """When requirements.txt changed since requirements.lock was made from it."""


def canonical_name(name: str) -> str:
    """A distribution's name as the package index compares it (PEP 503): ``PyJWT`` -> ``pyjwt``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class LockedPackage:
    """One package of the layer: its canonical name, exact version and accepted wheel hashes."""

    name: str
    version: str
    hashes: tuple[str, ...]
    """Hex sha256 digests; pip installs the package only from a file with one of them."""

    def line(self) -> str:
        """The package in pip's hash-checking format, one ``--hash`` per continuation line."""
        return " \\\n".join(
            [f"{self.name}=={self.version}", *(f"    --hash=sha256:{h}" for h in self.hashes)]
        )


@dataclass(frozen=True)
class LayerLock:
    """What requirements.lock holds: what it was made from, for which platform, and the packages."""

    requirements_sha256: str
    """``requirements_sha256`` of requirements.txt's runtime lines when the lock was made."""
    architecture: str
    python: str
    packages: tuple[LockedPackage, ...]


def requirements_sha256(lines: Sequence[str]) -> str:
    """The hex sha256 of requirements.txt's runtime lines (``runtime_requirements``), one per line.

    Comments, blank lines and the deploy-only packages are not in them: editing those changes
    no package of the layer, so it leaves the lock current.
    """
    return hashlib.sha256("".join(f"{line}\n" for line in lines).encode()).hexdigest()


def render_lock(lock: LayerLock) -> str:
    """requirements.lock's text: the header, then the packages sorted by name."""
    header = [
        f"# {REQUIREMENTS_KEY}: {lock.requirements_sha256}",
        f"# {ARCHITECTURE_KEY}: {lock.architecture}",
        f"# {PYTHON_KEY}: {lock.python}",
    ]
    packages = [package.line() for package in sorted(lock.packages, key=lambda package: package.name)]
    return _HEADER + "".join(f"{line}\n" for line in [*header, *packages])


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(first line number, line)`` with backslash continuations joined, comments and blanks kept."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        yield start, " ".join(part.strip() for part in [*pending, stripped])
        pending = []
    if pending:
        yield start, " ".join(part.strip() for part in pending)


def parse_lock(text: str) -> LayerLock:
    """Read requirements.lock's text; refuse a line that is not ``name==version --hash=sha256:<hex>``."""
    header: dict[str, str] = {}
    packages: dict[str, LockedPackage] = {}
    for number, line in _logical_lines(text):
        if not line:
            continue
        if line.startswith("#"):
            match = _HEADER_LINE.match(line)
            if match and match.group(1) in (REQUIREMENTS_KEY, ARCHITECTURE_KEY, PYTHON_KEY):
                header[match.group(1)] = match.group(2)
            continue
        pinned = _PINNED.match(line)
        if pinned is None:
            raise LockError(
                f"{LOCK_FILE} line {number} is not `name==version --hash=sha256:<hex>`, "
                f"line={shown(line, 120)}; run make lock to write it again"
            )
        name = canonical_name(pinned.group("name"))
        if name in packages:
            raise LockError(
                f"{LOCK_FILE} lists a package twice, name={name}; run make lock to write it again"
            )
        packages[name] = LockedPackage(
            name, pinned.group("version"), tuple(_SHA256.findall(pinned.group("hashes")))
        )
    missing = [key for key in (REQUIREMENTS_KEY, ARCHITECTURE_KEY, PYTHON_KEY) if key not in header]
    if missing:
        raise LockError(f"{LOCK_FILE} has no `# {missing[0]}:` header line; run make lock to write it again")
    return LayerLock(
        header[REQUIREMENTS_KEY], header[ARCHITECTURE_KEY], header[PYTHON_KEY], tuple(packages.values())
    )


def check_lock(lock: LayerLock, *, requirements_digest: str, architecture: str, python: str) -> None:
    """Refuse a lock made from other requirements, or for another architecture or Python."""
    if lock.requirements_sha256 != requirements_digest:
        raise StaleLockError(
            f"{STALE_MESSAGE} (and commit it), locked={lock.requirements_sha256[:12]}, "
            f"now={requirements_digest[:12]}"
        )
    if (lock.architecture, lock.python) != (architecture, python):
        raise LockError(
            f"{LOCK_FILE} is for architecture={lock.architecture} python={lock.python}, the build for "
            f"architecture={architecture} python={python}; lock for the build's platform: "
            f"python -m governed_assistant.infra.packaging lock --architecture {architecture} "
            f"--python-version {python}"
        )


def _sha256(item: Mapping[str, Any]) -> str | None:
    archive = item.get("download_info", {}).get("archive_info")
    if not isinstance(archive, Mapping):
        return None
    hashes = archive.get("hashes")
    if isinstance(hashes, Mapping) and isinstance(hashes.get("sha256"), str):
        return str(hashes["sha256"])
    # pip before 23 reports a single "hash": "<algorithm>=<hex>".
    algorithm, _, digest = str(archive.get("hash", "")).partition("=")
    return digest if algorithm == "sha256" and digest else None


def packages_from_report(
    report: Mapping[str, Any], *, unlocked: Iterable[str] = ()
) -> tuple[LockedPackage, ...]:
    """Every package a ``pip install --dry-run --report`` would install, with its wheel's sha256.

    ``unlocked`` names packages the lock leaves out (the governance package, pinned by commit).
    A package pip would take from a URL or a directory rather than the index has no version the
    index could serve again, so it is refused.
    """
    skipped = {canonical_name(name) for name in unlocked}
    packages = []
    for item in report.get("install", []):
        metadata = item.get("metadata", {})
        name = canonical_name(str(metadata.get("name", "")))
        if name in skipped:
            continue
        url = str(item.get("download_info", {}).get("url", ""))
        if item.get("is_direct"):
            raise LockError(
                f"a package named by URL cannot be locked by version, name={name} url={shown(url, 200)}; "
                "publish it to your package index and require it by name in requirements.txt"
            )
        digest = _sha256(item)
        if digest is None:
            raise LockError(
                f"pip reported no sha256 for the wheel, name={name} url={shown(url, 200)}; "
                "use a package index that publishes hashes (pip's configuration chooses it)"
            )
        packages.append(LockedPackage(name, str(metadata.get("version", "")), (digest,)))
    return tuple(sorted(packages, key=lambda package: package.name))
