# Managed by the governed-assistant template; `copier update` refreshes this file.
"""openapi.json is this project's API: the document the pinned package generates for assistant.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from governed_assistant import AssistantSpec, openapi_document

STALE = "openapi.json is not the API for assistant.yaml; run `make openapi` and commit it"


def test_openapi_json_is_the_document_for_this_spec(project_root: Path, spec: AssistantSpec) -> None:
    """The shipped openapi.json equals what the package generates for this spec (`make openapi`)."""
    path = project_root / "openapi.json"
    assert path.exists(), STALE
    try:
        shipped = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise AssertionError(f"{STALE} (it is not JSON: {error})") from None
    assert shipped == openapi_document(spec), STALE
