"""Time `copier copy` for the default preset and for a 20-action spec; prints the figures.

Usage: .venv/bin/python bench/copier_copy.py [--runs N]
Each run is a fresh `copier copy --trust --defaults --vcs-ref HEAD` in a subprocess, as a
user runs it, including the post-copy scaffold task.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


# The most actions a spec may have: each is a strict tool, and Bedrock takes 20 per request
# (governed_assistant.runtime.actions.strict_subset.MAX_STRICT_TOOLS); copier refuses more.
LARGEST = 20


def _largest_actions() -> list[dict[str, Any]]:
    preset = yaml.safe_load((REPO_ROOT / "scaffolds" / "presets" / "bounded-action.yaml").read_text())
    actions = []
    for index in range(LARGEST):
        action = copy.deepcopy(preset["actions"][index % len(preset["actions"])])
        action["name"] = f"{action['name']}_{index:02d}"
        actions.append(action)
    return actions


def _time_copy(answers: dict[str, Any], runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as workspace:
            data_file = Path(workspace, "answers.yml")
            data_file.write_text(yaml.safe_dump(answers))
            command = [
                sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
                "--vcs-ref", "HEAD", "--data-file", str(data_file),
                str(REPO_ROOT), str(Path(workspace, "project")),
            ]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = {"default preset (4 actions)": {}, f"{LARGEST}-action spec": {"actions": _largest_actions()}}
    print(f"copier copy, {args.runs} runs each (seconds)")
    for label, answers in cases.items():
        timings = _time_copy(answers, args.runs)
        print(
            f"  {label:28s} median {statistics.median(timings):.2f}  "
            f"min {min(timings):.2f}  max {max(timings):.2f}"
        )


if __name__ == "__main__":
    main()
