"""Run N sets of answers through copier's validators and, when accepted, the program; print the tally.

Usage: .venv/bin/python bench/spec_space.py [N] [--seed S]
The answers are tests/spec_space.py's ``cases`` (the strategy tests/infra/test_spec_space.py runs):
mostly valid by construction, some with one answer broken. Each goes through copier's validators
in copier.yml's order; accepted ones are rendered into assistant.yaml, loaded, evaluated under
mocks in their region and checked (governance invariants, ``deploy_problems``). Prints how many
were tried, accepted, refused (by the first question that refused), how many passed every check,
what failed, and the time per example. Without ``--seed`` the cases are derandomized (the same on
every run); the exit status is 1 when any example failed a check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "components"))

from governed_assistant.spec.model import is_production  # noqa: E402 - needs the path above
from governed_assistant.spec.models import region_partition  # noqa: E402

from tests.spec_space import Case, cases, check_case, problems_with  # noqa: E402


def features(case: Case) -> list[str]:
    """What an evaluated case exercised: mode, preset, partition, identity, retrieval, stack, sizes."""
    answers = case.answers
    actions = answers["actions"]
    return [
        f"mode={answers['mode']}",
        f"preset={answers['preset']}",
        f"partition={region_partition(answers['aws_region'])}",
        f"identity={answers['identity_provider']}",
        f"retrieval={answers['retrieval_backend']}",
        f"sink={case.telemetry_sink if answers['opensearch'] else 'log'}",
        f"stack={'production' if is_production(case.stack or answers['stacks'][0]) else 'other'}",
        "actions=0" if not actions else "actions=1-4" if len(actions) < 5 else "actions=5-20",
        *(["steps"] if any(action.get("steps") for action in actions) else []),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", type=int, nargs="?", default=200)
    parser.add_argument("--seed", type=int, help="a random seed (default: the test's derandomized cases)")
    args = parser.parse_args()

    reasons: Counter[str] = Counter()
    drawn: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    timings: dict[str, list[float]] = {"accepted": [], "refused": []}
    actions: list[int] = []
    covered: Counter[str] = Counter()
    passed = 0

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        derandomize=args.seed is None,
        phases=[phase for phase in settings.default.phases if phase.name != "shrink"],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases())
    def run(case: Case) -> None:
        nonlocal passed
        started = time.perf_counter()
        outcome = check_case(case)
        timings["accepted" if outcome.accepted else "refused"].append(time.perf_counter() - started)
        reasons[outcome.reason] += 1
        drawn[case.label.split(":")[0]] += 1
        if outcome.evaluated:
            covered.update(features(case))
        if isinstance(case.answers.get("actions"), list) and outcome.evaluated:
            actions.append(len(case.answers["actions"]))
        problems = problems_with(case, outcome)
        passed += not problems
        for problem in problems:
            failures[problem[:240]] += 1

    if args.seed is not None:
        run = seed(args.seed)(run)
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started

    tried = sum(reasons.values())
    accepted = reasons["accepted"]
    print(f"answer space: {tried} examples in {elapsed:.1f} s ({elapsed / max(tried, 1):.2f} s per example)")
    print(f"  accepted        {accepted:>5}   evaluated under mocks: {len(actions)}")
    print(f"  refused         {tried - accepted:>5}")
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        if reason != "accepted":
            print(f"    {reason.removeprefix('refused: '):<22} {count:>5}")
    print(f"  passed checks   {passed:>5}   failed: {tried - passed}")
    for kind, samples in timings.items():
        if samples:
            print(
                f"  {kind:<9} s/example  median {statistics.median(samples):.3f}"
                f"  mean {statistics.mean(samples):.3f}  max {max(samples):.3f}"
            )
    if actions:
        print(f"  actions per evaluated spec: median {statistics.median(actions):.0f}, max {max(actions)}")
    print("  evaluated specs had: " + ", ".join(f"{name} {count}" for name, count in sorted(covered.items())))
    print("  drawn: " + ", ".join(f"{label} {count}" for label, count in drawn.most_common()))
    for problem, count in failures.most_common():
        print(f"  FAILED x{count}: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
