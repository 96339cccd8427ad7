"""Run by copier's ``_tasks`` after every copy and update: write the project's ``openapi.json``.

The API's OpenAPI document for the project's ``assistant.yaml``, from this template checkout's
package: the version the project pins, so the file equals what ``make openapi`` (and the project's
``tests/test_openapi.py``) generate. Rewritten on every update, so a new package version's answers,
routes and error codes reach the project's copy with the update.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.handlers.openapi import main

if __name__ == "__main__":
    sys.exit(main(["assistant.yaml", "--out", "openapi.json", *sys.argv[1:]]))
