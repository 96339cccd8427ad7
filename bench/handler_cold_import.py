"""Cold-import time of each Lambda handler module against `import boto3`; prints medians and ratios.

Usage: .venv/bin/python bench/handler_cold_import.py [--runs N] [--in-lambda]
``--in-lambda`` sets LAMBDA_TASK_ROOT in the interpreters, as Lambda does, so the handlers' Tracer
takes the path it takes there (tracing on) rather than the local one (off).
Each measurement is a fresh interpreter (no bytecode cache warming beyond what is on disk) that
times only the import itself with perf_counter, so interpreter start-up is left out; modules take
turns round by round, so a busy shared machine slows them alike. The target:
each handler at most 1.5x `import boto3`, which every handler pays anyway on its first AWS call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
MODULES = (
    "governed_assistant.handlers.api",
    "governed_assistant.handlers.reason",
    "governed_assistant.handlers.gate",
    "governed_assistant.handlers.approval",
    "governed_assistant.handlers.execute",
    "governed_assistant.handlers.compensate",
    "governed_assistant.handlers.guardrail_output",
    "governed_assistant.handlers.respond",
    "governed_assistant.handlers.insight",
)
_TIMER = "import importlib, sys, time; t = time.perf_counter(); importlib.import_module(sys.argv[1]); " \
    "print(time.perf_counter() - t)"  # fmt: skip


def import_seconds(module: str, env: dict[str, str] | None = None) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMER, module],
        cwd=REPO_ROOT / "components",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())


def median_seconds(
    modules: tuple[str, ...], runs: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Each module's median over ``runs`` rounds; a round imports every module once, in turn.

    Interleaving spreads the load of a shared machine evenly over boto3 and the handlers, where
    timing one module ``runs`` times and then the next would charge a busy minute to one of them.
    """
    samples: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(runs):
        for module in modules:
            samples[module].append(import_seconds(module, env))
    return {module: statistics.median(times) for module, times in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="fresh interpreters per module (default 10)")
    parser.add_argument("--in-lambda", action="store_true", help="set LAMBDA_TASK_ROOT, as Lambda does")
    args = parser.parse_args()
    runs = max(args.runs, 1)
    with tempfile.TemporaryDirectory(prefix="cold-import-") as task_root:
        env = {**os.environ, "LAMBDA_TASK_ROOT": task_root} if args.in_lambda else None
        medians = median_seconds(("boto3", *MODULES), runs, env)
    baseline = medians["boto3"]
    print(f"{'module':40} {'median ms':>10} {'x boto3':>8}")
    print(f"{'boto3':40} {baseline * 1000:10.1f} {1.0:8.2f}")
    worst = 0.0
    for module in MODULES:
        seconds = medians[module]
        ratio = seconds / baseline
        worst = max(worst, ratio)
        print(f"{module:40} {seconds * 1000:10.1f} {ratio:8.2f}")
    verdict = "within" if worst <= TARGET_RATIO else "OVER"
    where = ", in Lambda" if args.in_lambda else ""
    print(f"worst ratio {worst:.2f} ({verdict} the {TARGET_RATIO}x target, {runs} runs each{where})")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
