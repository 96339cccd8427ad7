"""``python -m components.spec check [assistant.yaml]``: validate the spec, list every problem."""

from __future__ import annotations

import argparse
import sys

from components.errors import GovernanceError
from components.spec.loader import DEFAULT_SPEC_PATH, load_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.spec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate assistant.yaml and list every problem")
    check.add_argument("path", nargs="?", default=str(DEFAULT_SPEC_PATH))
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.path)
    except GovernanceError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{args.path}: valid ({len(spec.actions)} actions, {len(spec.roles)} roles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
