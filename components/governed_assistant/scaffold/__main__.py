"""``python -m governed_assistant.scaffold``: add the stubs assistant.yaml calls for that are missing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from governed_assistant.errors import GovernanceError
from governed_assistant.scaffold.planner import policy_hints, scaffold
from governed_assistant.spec.loader import load_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m governed_assistant.scaffold", description=__doc__)
    parser.add_argument("--spec", default="assistant.yaml", help="the spec file (default: assistant.yaml)")
    parser.add_argument("--root", default=".", help="the project root (default: .)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be created, write nothing")
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        spec = load_spec(root / args.spec)
    except GovernanceError as error:
        print(error, file=sys.stderr)
        return 1
    created = scaffold(spec, root, dry_run=args.dry_run)
    verb = "would create" if args.dry_run else "created"
    for path in created:
        print(f"{verb} {path}")
    if not created:
        print("nothing to scaffold: every action, role and stack already has its files")
    for hint in policy_hints(spec, root, created):
        print(f"next: {hint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
