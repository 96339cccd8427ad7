"""The spec's per-tenant request limit: 60 a minute unless the spec says otherwise, 1 to 6000."""

from __future__ import annotations

import re
from typing import Any

import pytest
from governed_assistant.spec import SpecError, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document


def _spec_text(**limits: Any) -> str:
    document = preset_document()
    document["limits"] = limits
    return render_spec_yaml(document)


def test_spec_without_limits_allows_sixty_requests_a_minute() -> None:
    """A spec written before the section existed gets the default."""
    document = preset_document()
    document.pop("limits", None)
    assert parse_spec(render_spec_yaml(document)).limits.requests_per_minute == 60


@pytest.mark.parametrize("value", [1, 6000])
def test_limit_within_bounds_is_kept(value: int) -> None:
    """The smallest and largest limits load as written."""
    assert parse_spec(_spec_text(requests_per_minute=value)).limits.requests_per_minute == value


@pytest.mark.parametrize("value", [0, 6001, "many"])
def test_limit_out_of_bounds_is_refused_naming_its_path(value: Any) -> None:
    """Zero, more than 6000, or not a number is refused at limits.requests_per_minute."""
    with pytest.raises(SpecError, match=re.escape("limits.requests_per_minute")):
        parse_spec(_spec_text(requests_per_minute=value))


def test_rendered_spec_states_the_default_limit() -> None:
    """A new project's assistant.yaml shows the limit, so its owner finds where to change it."""
    text = render_spec_yaml(preset_document())
    assert "limits:\n  requests_per_minute: 60\n" in text
