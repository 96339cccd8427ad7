"""``python -m governed_assistant.security``: behind ``make security-report``.

    python -m governed_assistant.security --project . --results build/test-results.xml \\
        --out build/security-report.md [--stack prod]

Exit status: 0 the report passed, 1 a control failed or did not run or an invariant is broken
(the report is written all the same), 2 no report (no test results, say).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from governed_assistant.errors import GovernanceError
from governed_assistant.security.report import build_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m governed_assistant.security", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--project", type=Path, default=Path("."), help="the project's directory")
    parser.add_argument(
        "--results", type=Path, default=Path("build/test-results.xml"), help="pytest's JUnit XML"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("build/security-report.md"), help="where to write it"
    )
    parser.add_argument("--stack", help="the stack whose settings apply (default: the spec's first)")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.project.resolve(), args.results, args.stack)
    except GovernanceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.markdown)
    print(f"wrote {args.out}")
    for label, ids in (
        ("failed", report.failed),
        ("not run", report.not_run),
        ("broken invariants", report.broken_invariants),
    ):
        if ids:
            print(f"{label}: {', '.join(ids)}", file=sys.stderr)
    if not report.ok:
        print(
            "the report FAILED: run `make test`, fix what failed, then run `make security-report` again",
            file=sys.stderr,
        )
        return 1
    print(f"passed: {len(report.controls)} controls, {len(report.invariants)} invariants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
