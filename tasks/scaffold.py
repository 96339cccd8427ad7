"""Run by copier's ``_tasks`` after every copy and update: write the owner's missing stubs.

The project does not have the governance package installed yet (``make install`` does that),
so this runs the scaffolder from this template checkout's package, the same code as the
project's ``make scaffold``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.scaffold.__main__ import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
