"""Run by copier's ``_tasks`` after every copy and update: write the owner's missing stubs.

The project does not have the governance package installed yet (``make install`` does that),
so this runs the scaffolder from this template checkout's package, the same code as the
project's ``make scaffold``.

On ``copier update`` it says nothing: copier also runs it in two throwaway renders it diffs
(the old and the new template version), where every stub is "created", so its lines would claim
files the project never got. The update's own diff (``git status``) says what changed.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.scaffold.__main__ import main

if __name__ == "__main__":
    # copier tells its tasks which operation runs them (9.5 and later; the template needs 9.9.1).
    if os.environ.get("COPIER_OPERATION") == "update":
        with contextlib.redirect_stdout(io.StringIO()):
            sys.exit(main(sys.argv[1:]))
    sys.exit(main(sys.argv[1:]))
