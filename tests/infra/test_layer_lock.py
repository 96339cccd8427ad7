"""requirements.lock: written and read back exactly, refused when stale, malformed or for another platform."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from governed_assistant.infra.layer_lock import (
    LOCK_FILE,
    STALE_MESSAGE,
    LayerLock,
    LockedPackage,
    LockError,
    StaleLockError,
    check_lock,
    packages_from_report,
    parse_lock,
    render_lock,
    requirements_sha256,
)
from governed_assistant.infra.packaging import build_layer, main, runtime_requirements

from tests.infra.test_packaging import make_project

A = "a" * 64
B = "b" * 64
PACKAGES = (
    LockedPackage("boto3", "1.40.70", (A,)),
    LockedPackage("pyjwt", "2.10.1", (B, A)),
)
REQUIREMENTS = "governed-assistant[infra] @ git+https://git.example.com/t@0123abc#subdirectory=components\n"
LOCK = LayerLock(requirements_sha256(runtime_requirements(REQUIREMENTS)), "arm64", "3.12", PACKAGES)


def test_lock_reads_back_what_was_written() -> None:
    """render_lock then parse_lock gives the same lock: header, packages, every hash."""
    assert parse_lock(render_lock(LOCK)) == LOCK


def test_lock_is_pips_hash_checking_format_sorted_by_name() -> None:
    """Each package is `name==version` with one `--hash=sha256:` continuation line per hash, by name."""
    reversed_lock = LayerLock(LOCK.requirements_sha256, "arm64", "3.12", PACKAGES[::-1])
    text = render_lock(reversed_lock)
    assert text == render_lock(LOCK)
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == [
        "boto3==1.40.70 \\",
        f"    --hash=sha256:{A}",
        "pyjwt==2.10.1 \\",
        f"    --hash=sha256:{B} \\",
        f"    --hash=sha256:{A}",
    ]


def test_lock_header_records_requirements_digest_and_platform() -> None:
    """The header names the digest of the requirements it was made from, the architecture and Python."""
    text = render_lock(LOCK)
    assert f"# requirements-sha256: {LOCK.requirements_sha256}\n" in text
    assert "# architecture: arm64\n" in text
    assert "# python: 3.12\n" in text


def test_lock_tolerates_comments_blank_lines_and_one_line_entries() -> None:
    """A hand-reflowed lock (entry on one line, a comment between) reads the same."""
    text = render_lock(LOCK).replace(
        f"boto3==1.40.70 \\\n    --hash=sha256:{A}", f"\n# why\nboto3==1.40.70 --hash=sha256:{A}"
    )
    assert parse_lock(text) == LOCK


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param("boto3>=1.40", "line 8 is not", id="range"),
        pytest.param("boto3==1.40.70", "line 8 is not", id="no-hash"),
        pytest.param("boto3==1.40.70 --hash=md5:abc", "line 8 is not", id="other-algorithm"),
        pytest.param("boto3==1.40.70 --hash=sha256:abc", "line 8 is not", id="short-hash"),
        pytest.param("-e ./src", "line 8 is not", id="editable"),
        pytest.param(
            f"boto3 @ https://files.example.com/boto3.whl --hash=sha256:{A}", "line 8 is not", id="url"
        ),
        pytest.param(f"Boto3==1.0 --hash=sha256:{A}", "twice, name=boto3", id="duplicate-other-spelling"),
    ],
)
def test_lock_refuses_lines_that_are_not_exact_and_hashed(line: str, problem: str) -> None:
    """Every package line must be an exact version with a sha256; the error names the line and the fix."""
    head, _, packages = render_lock(LOCK).partition("boto3==")
    with pytest.raises(LockError, match=problem) as refused:
        parse_lock(f"{head}{line}\nboto3=={packages}")
    assert "run make lock" in str(refused.value)


@pytest.mark.parametrize("key", ["requirements-sha256", "architecture", "python"])
def test_lock_without_a_header_line_is_refused(key: str) -> None:
    """A lock that does not say what it was made from cannot be checked, so it is refused."""
    text = "".join(
        line for line in render_lock(LOCK).splitlines(keepends=True) if not line.startswith(f"# {key}:")
    )
    with pytest.raises(LockError, match=f"no `# {key}:` header line"):
        parse_lock(text)


def test_current_lock_passes_the_check() -> None:
    """The lock of these very requirements, for this platform, is current."""
    digest = requirements_sha256(runtime_requirements(REQUIREMENTS))
    check_lock(LOCK, requirements_digest=digest, architecture="arm64", python="3.12")


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(REQUIREMENTS + "requests>=2\n", id="new-package"),
        pytest.param(REQUIREMENTS.replace("@0123abc", "@4567def"), id="pin-moved-by-copier-update"),
        pytest.param(REQUIREMENTS.replace("[infra]", ""), id="extras"),
    ],
)
def test_changed_requirements_make_the_lock_stale(changed: str) -> None:
    """A new package or a moved pin in requirements.txt: the check says to run make lock."""
    digest = requirements_sha256(runtime_requirements(changed))
    with pytest.raises(StaleLockError) as stale:
        check_lock(LOCK, requirements_digest=digest, architecture="arm64", python="3.12")
    assert str(stale.value).startswith(STALE_MESSAGE)
    assert STALE_MESSAGE == "requirements.txt changed since requirements.lock: run make lock"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda text: "# a new comment\n" + text, id="comment"),
        pytest.param(lambda text: text + "\n\n", id="blank-lines"),
        pytest.param(lambda text: text + "pulumi>=3.200,<4\npulumi-aws>=7\n", id="deploy-only-packages"),
        pytest.param(lambda text: text.replace("\n", "  # pinned by copier\n"), id="trailing-comment"),
    ],
)
def test_edits_that_change_no_layer_package_keep_the_lock_current(edit: Any) -> None:
    """Comments, blank lines and Pulumi's own packages are not in the layer: the digest ignores them."""
    before = requirements_sha256(runtime_requirements(REQUIREMENTS))
    assert requirements_sha256(runtime_requirements(edit(REQUIREMENTS))) == before


@pytest.mark.parametrize(
    ("architecture", "python"),
    [pytest.param("x86_64", "3.12", id="architecture"), pytest.param("arm64", "3.13", id="python")],
)
def test_lock_for_another_platform_is_refused(architecture: str, python: str) -> None:
    """A lock made for arm64 and 3.12 does not build an x86_64 or 3.13 layer; the error gives the command."""
    with pytest.raises(LockError, match=f"lock --architecture {architecture} --python-version {python}"):
        check_lock(
            LOCK, requirements_digest=LOCK.requirements_sha256, architecture=architecture, python=python
        )


def _installed(name: str, version: str, download_info: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "version": version}, "download_info": download_info, **extra}


def test_report_gives_each_package_its_version_and_wheel_hash() -> None:
    """pip's report names the version and the chosen wheel's sha256 (current and pre-23 pip alike)."""
    report = {
        "install": [
            _installed(
                "PyJWT", "2.10.1", {"url": "https://i/pyjwt.whl", "archive_info": {"hashes": {"sha256": B}}}
            ),
            _installed(
                "boto3", "1.40.70", {"url": "file:///w/boto3.whl", "archive_info": {"hash": f"sha256={A}"}}
            ),
        ]
    }
    assert packages_from_report(report) == (PACKAGES[0], LockedPackage("pyjwt", "2.10.1", (B,)))


def test_report_leaves_out_the_governance_package() -> None:
    """The package built from its pinned commit is named as unlocked: it is not in the lock."""
    wheel = {
        "url": "file:///tmp/governed_assistant-0.5.0-py3-none-any.whl",
        "archive_info": {"hashes": {"sha256": A}},
    }
    report = {"install": [_installed("governed_assistant", "0.5.0", wheel, is_direct=True)]}
    assert packages_from_report(report, unlocked=["governed-assistant"]) == ()


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        pytest.param(
            _installed(
                "tool",
                "1.0",
                {"url": "https://x/tool.whl", "archive_info": {"hashes": {"sha256": A}}},
                is_direct=True,
            ),
            "named by URL",
            id="direct-url",
        ),
        pytest.param(
            _installed(
                "tool", "1.0", {"url": "git+https://x/tool", "vcs_info": {"vcs": "git"}}, is_direct=True
            ),
            "named by URL",
            id="vcs",
        ),
        pytest.param(
            _installed("tool", "1.0", {"url": "https://x/tool.whl", "archive_info": {}}),
            "no sha256",
            id="no-hash",
        ),
        pytest.param(
            _installed("tool", "1.0", {"url": "https://x/tool.whl", "archive_info": {"hash": "md5=abc"}}),
            "no sha256",
            id="md5-only",
        ),
    ],
)
def test_report_refuses_what_cannot_be_locked(item: dict[str, Any], problem: str) -> None:
    """A package without an index version or a sha256 cannot be pinned; the error names it."""
    with pytest.raises(LockError, match=problem) as refused:
        packages_from_report({"install": [item]})
    assert "name=tool" in str(refused.value)


def _locked_project(tmp_path: Path, lock: LayerLock) -> Path:
    project = make_project(tmp_path / "project")
    (project / "requirements.txt").write_text(REQUIREMENTS)
    (project / LOCK_FILE).write_text(render_lock(lock))
    return project


def _no_pip(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError("pip ran although the lock is refused first")


def test_build_refuses_a_stale_lock_before_running_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_layer checks the lock first: a stale one fails at once, with no package index needed."""
    stale = LayerLock(requirements_sha256(["boto3>=1"]), "arm64", "3.12", PACKAGES)
    project = _locked_project(tmp_path, stale)
    monkeypatch.setattr(subprocess, "run", _no_pip)
    with pytest.raises(StaleLockError, match="run make lock"):
        build_layer(project, tmp_path / "out" / "layer.zip")


def test_cli_build_on_a_stale_lock_exits_1_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make build`'s command exits 1 and says what changed and what to run, without a traceback."""
    stale = LayerLock(requirements_sha256(["boto3>=1"]), "arm64", "3.12", PACKAGES)
    project = _locked_project(tmp_path, stale)
    monkeypatch.setattr(subprocess, "run", _no_pip)
    assert main(["build", "--project", str(project), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.startswith(f"error: {STALE_MESSAGE}")


def test_build_refuses_a_malformed_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock edited into a range is refused, not re-resolved behind the owner's back."""
    project = _locked_project(tmp_path, LOCK)
    (project / LOCK_FILE).write_text(render_lock(LOCK) + "requests>=2\n")
    monkeypatch.setattr(subprocess, "run", _no_pip)
    with pytest.raises(LockError, match="is not `name==version"):
        build_layer(project, tmp_path / "out" / "layer.zip")
