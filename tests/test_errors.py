"""``shown``: an untrusted value in an error message, as its repr cut to a limit."""

from __future__ import annotations

import pytest
from governed_assistant.errors import shown
from governed_assistant.runtime.actions import exceptions as actions_exceptions
from governed_assistant.runtime.identity import exceptions as identity_exceptions


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        pytest.param("abc", 64, "'abc'", id="short-string-quoted"),
        pytest.param(None, 64, "None", id="none"),
        pytest.param("x" * 10, 8, "'xxxx...", id="cut-to-limit"),
        pytest.param("a\nb", 64, "'a\\nb'", id="newline-escaped"),
        pytest.param("x" * 6, 8, "'xxxxxx'", id="exactly-limit-kept"),
    ],
)
def test_shown_cuts_repr_to_limit(value: object, limit: int, expected: str) -> None:
    """The repr is kept whole up to ``limit`` characters, else cut with an ellipsis to exactly ``limit``."""
    text = shown(value, limit)
    assert text == expected
    assert len(text) <= limit


def test_shown_is_still_importable_from_its_old_homes() -> None:
    """identity's and actions' exceptions modules re-export the one ``shown``."""
    assert identity_exceptions.shown is shown
    assert actions_exceptions.shown is shown
