"""Time a mock evaluation of the infrastructure for specs of 1, 5, 10 and 20 actions.

Usage: .venv/bin/python bench/infra_eval.py [--runs N] [--sizes 1 5 10 20]
Each run evaluates ``component_under_test`` under ``governed_assistant.infra.testing``'s mocks (no
Pulumi CLI, no AWS) and counts what it registered. The specs clone the bounded-action
preset's actions under new names. It measures the whole ``GovernedAssistant`` (every layer);
to measure another component, change ``component_under_test`` only.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pulumi
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "components"))

from governed_assistant.infra import GovernedAssistant  # noqa: E402 - needs the path above
from governed_assistant.infra.testing import run_with_mocks  # noqa: E402
from governed_assistant.runtime.actions.strict_subset import MAX_STRICT_TOOLS  # noqa: E402
from governed_assistant.spec import AssistantSpec, parse_spec  # noqa: E402
from governed_assistant.spec.answers import render_spec_yaml, spec_from_answers  # noqa: E402

PRESET = "bounded-action"
REGION_ACCOUNT = "us-east-1:123456789012"
COMPONENT = "GovernedAssistant"  # what component_under_test builds, for the printout


def component_under_test(spec: AssistantSpec) -> None:
    """Build the component being measured (a Pulumi program body: runs under the mocks)."""
    GovernedAssistant(
        spec.slug,
        {
            "spec": spec,
            "code": {
                "archive": pulumi.FileArchive(str(REPO_ROOT / "components")),
                "dependencies": f"arn:aws:lambda:{REGION_ACCOUNT}:layer:deps:1",
            },
            "protect_data": False,
        },
    )


def spec_with_actions(count: int) -> AssistantSpec:
    """The preset's spec with ``count`` actions, cloned from its own under new names."""
    preset_file = REPO_ROOT / "scaffolds" / "presets" / f"{PRESET}.yaml"
    preset: dict[str, Any] = yaml.safe_load(preset_file.read_text())
    answers = {key: preset[key] for key in ("mode", "actions", "approver_roles", "admin_roles")}
    answers["preset"] = PRESET
    document = spec_from_answers(answers, preset["roles"])
    templates = document["actions"]
    actions = []
    for index in range(count):
        action = copy.deepcopy(templates[index % len(templates)])
        action["name"] = f"{action['name']}_{index:03d}"
        actions.append(action)
    document["actions"] = actions
    return parse_spec(render_spec_yaml(document))


def measure(spec: AssistantSpec, runs: int) -> tuple[list[float], int]:
    """Evaluation times (seconds) and the number of resources registered (the stack excluded)."""
    timings = []
    count = 0
    for _ in range(runs):
        started = time.perf_counter()
        run = run_with_mocks(lambda: component_under_test(spec), project=spec.slug)
        timings.append(time.perf_counter() - started)
        count = sum(1 for resource in run.resources if resource.type != "pulumi:pulumi:Stack")
    return timings, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    # 20 is the most a spec may have (each action is a strict tool; Bedrock takes 20 per request).
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 10, MAX_STRICT_TOOLS])
    args = parser.parse_args()
    print(f"mock evaluation of {COMPONENT}, {args.runs} runs each")
    # "added/action": resources each action adds over the smallest spec (0 when nothing is per action).
    print(
        f"  {'actions':>7}  {'median s':>8}  {'min s':>6}  {'max s':>6}  {'resources':>9}"
        f"  {'per action':>10}  {'added/action':>12}"
    )
    baseline: tuple[int, int] | None = None
    for size in args.sizes:
        timings, count = measure(spec_with_actions(size), args.runs)
        baseline = baseline or (size, count)
        added = (count - baseline[1]) / (size - baseline[0]) if size != baseline[0] else 0.0
        print(
            f"  {size:>7}  {statistics.median(timings):>8.2f}  {min(timings):>6.2f}  {max(timings):>6.2f}"
            f"  {count:>9}  {count / size:>10.2f}  {added:>12.2f}"
        )


if __name__ == "__main__":
    main()
