"""A stand-in for the Pulumi CLI, for running the generated CI workflow's steps where it is not installed.

It takes only the command the workflow runs, ``pulumi preview -s <stack> --policy-pack <dir>``,
appends its arguments to the JSON-lines file ``$FAKE_PULUMI_LOG``, and then does offline what
the real preview does with the project: evaluates ``__main__.py`` for the stack (its
``Pulumi.<stack>.yaml`` settings) under the SDK's mocks, and holds the resources to the
governance invariants, as the policy pack would. It exits 1 when either fails, printing why:
the program's own errors (``build the code first (make build)``) reach the test as they would
reach a CI log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pulumi", exit_on_error=False)
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser("preview", exit_on_error=False)
    preview.add_argument("-s", "--stack", required=True)
    preview.add_argument("--policy-pack", required=True, type=Path)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    with Path(os.environ["FAKE_PULUMI_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": argv, "cwd": os.getcwd()}) + "\n")
    try:
        args = _arguments(argv)
    except (argparse.ArgumentError, SystemExit) as error:
        print(f"fake pulumi: unsupported command line {argv}: {error}", file=sys.stderr)
        return 2
    if not os.environ.get("PULUMI_ACCESS_TOKEN"):
        print(
            "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
            file=sys.stderr,
        )
        return 1
    if not (args.policy_pack / "PulumiPolicy.yaml").is_file():
        print(f"error: no policy pack in {args.policy_pack}", file=sys.stderr)
        return 1
    # Imported here: the package is the one the project's `make install` put in this interpreter.
    from governed_assistant import check_resources, load_spec
    from governed_assistant.testing import run_program

    project = yaml.safe_load(Path("Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    try:
        run = run_program(Path.cwd(), project=project, stack=args.stack)
    except Exception as error:  # any program error fails the preview, as in the CLI
        print(f"error: the program failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    violations = check_resources(run.resources, load_spec(Path("assistant.yaml")))
    for violation in violations:
        print(f"mandatory policy violation: {violation}", file=sys.stderr)
    print(f"fake pulumi: previewed {len(run.resources)} resources of stack {args.stack}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
