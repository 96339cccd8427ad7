"""Run by copier's ``_migrations`` when a project crosses 0.4.0: a model that takes strict tools.

Why it exists: from 0.4.0 every action is a strict tool, and the spec refuses a ``model_id``
Bedrock does not document for strict tool use (the former defaults, Claude 3.5 Sonnet and
Claude Sonnet 4, among them), so an older project's assistant.yaml would stop loading and
``copier update`` would fail halfway. Before the new version renders, this replaces such a
``model_id`` (or a profile its region cannot call) with the default for the spec's region,
editing the one line in place (comments survive), and says so.

    python migrations/strict_model.py [assistant.yaml]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.spec.models import ModelIdError, check_strict_model, default_model_id, region_problem

_MODEL_LINE = re.compile(r"^(model_id:[ \t]*)(['\"]?)([^'\"\s#]+)\2([ \t]*(?:#.*)?)$", re.MULTILINE)
_REGION_LINE = re.compile(r"^region:[ \t]*['\"]?([a-z0-9-]+)['\"]?", re.MULTILINE)


def migrate(text: str) -> tuple[str, str | None]:
    """``text`` with a strict-capable ``model_id``, and the line to report (None when unchanged)."""
    model = _MODEL_LINE.search(text)
    if model is None:
        return text, None
    region_line = _REGION_LINE.search(text)
    region = region_line.group(1) if region_line else "us-east-1"
    current = model.group(3)
    try:
        check_strict_model(current)
        problem = region_problem(current, region)
    except ModelIdError as error:
        problem = str(error)
    if problem is None:
        return text, None
    replacement = default_model_id(region)
    start, end = model.span()
    line = f"{model.group(1)}{model.group(2)}{replacement}{model.group(2)}{model.group(4)}"
    report = (
        f"model_id {current} cannot take strict tools here, now {replacement} "
        "(any model assistant.yaml's check accepts will do)"
    )
    return text[:start] + line + text[end:], report


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "assistant.yaml")
    text, report = migrate(path.read_text(encoding="utf-8"))
    if report is not None:
        path.write_text(text, encoding="utf-8")
        print(f"migration 0.4.0: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
