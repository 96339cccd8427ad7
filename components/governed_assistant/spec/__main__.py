"""``python -m governed_assistant.spec check|migrate [assistant.yaml]``: validate or migrate the spec."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from governed_assistant.errors import GovernanceError
from governed_assistant.spec.loader import DEFAULT_SPEC_PATH, load_spec
from governed_assistant.spec.migrations import MigrationError, migrate_file
from governed_assistant.spec.model import SPEC_VERSION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m governed_assistant.spec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate assistant.yaml and list every problem")
    check.add_argument("path", nargs="?", default=str(DEFAULT_SPEC_PATH))
    migrate = commands.add_parser("migrate", help=f"bring assistant.yaml to spec_version {SPEC_VERSION}")
    migrate.add_argument("path", nargs="?", default=str(DEFAULT_SPEC_PATH))
    args = parser.parse_args(argv)
    if args.command == "migrate":
        return _migrate(Path(args.path))
    try:
        spec = load_spec(args.path)
    except GovernanceError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{args.path}: valid ({len(spec.actions)} actions, {len(spec.roles)} roles)")
    return 0


def _migrate(path: Path) -> int:
    try:
        applied = migrate_file(path)
    except (MigrationError, OSError) as error:
        print(f"{path}: cannot migrate: {error}", file=sys.stderr)
        return 1
    if applied:
        print(f"{path}: migrated to spec_version {applied[-1]}")
    else:
        print(f"{path}: already at spec_version {SPEC_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
