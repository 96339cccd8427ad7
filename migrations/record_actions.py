"""Run by copier's ``_migrations`` when an update crosses 0.5.0: keep the actions the project was made with.

Before 0.5.0 copier asked for the actions every time and recorded them as ``actions``. Since
0.5.0 it asks only when the user chooses the editor, and keeps them under ``actions_recorded``
otherwise (a question copier does not ask is neither recorded nor replayed). This copies the
recorded answer to that key, so the update renders with the project's actions, not the preset's.
It runs before the new version renders; copier reads the answers file again after it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

RECORDED_ACTIONS = "actions_recorded"  # extensions/spec_extension.py's


def main(answers_file: str) -> int:
    path = Path(answers_file)
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(answers, dict) or "actions" not in answers or RECORDED_ACTIONS in answers:
        return 0
    # Appended, so the file's comments and order stay as copier wrote them.
    addition = yaml.safe_dump({RECORDED_ACTIONS: answers["actions"]}, sort_keys=False, allow_unicode=True)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("" if text.endswith("\n") else "\n") + addition, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".copier-answers.yml"))
