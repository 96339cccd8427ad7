"""Run by copier's ``_migrations`` during ``copier update``: migrate the project's assistant.yaml.

It runs *before* the new template version is rendered, so it imports the spec migrations
from this template checkout's package (not from whatever the project has installed or, before
0.4.0, vendored), then the post-update scaffold task reads a spec of the current version.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.spec.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["migrate", *sys.argv[1:]]))
