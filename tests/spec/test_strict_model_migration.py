"""migrations/strict_model.py: an older spec's model becomes one that takes strict tools, in place."""

from __future__ import annotations

import runpy
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

MIGRATION: dict[str, Any] = runpy.run_path(
    str(REPO_ROOT / "migrations" / "strict_model.py"), run_name="migration"
)
SPEC = "name: Test\nregion: {region}\n# the model\nmodel_id: {model}\nstacks: [dev]\n"


@pytest.mark.parametrize(
    ("region", "model", "expected"),
    [
        pytest.param(
            "us-east-1", "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0", id="former-default-sonnet-4",
        ),
        pytest.param(
            "us-east-1", "'anthropic.claude-3-5-sonnet-20240620-v1:0'",
            "'us.anthropic.claude-sonnet-4-5-20250929-v1:0'", id="quoted-claude-3-5",
        ),
        pytest.param(
            "eu-west-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0  # picked by us",
            "eu.anthropic.claude-sonnet-4-5-20250929-v1:0  # picked by us", id="profile-of-another-geography",
        ),
    ],
)  # fmt: skip
def test_migration_model_without_strict_tools_becomes_the_regions_default(
    region: str, model: str, expected: str
) -> None:
    """The model_id line alone changes, quotes and comments kept, and the change is reported."""
    migrated, report = MIGRATION["migrate"](SPEC.format(region=region, model=model))
    assert migrated == SPEC.format(region=region, model=expected)
    assert report is not None and "strict tools" in report


def test_migration_strict_capable_model_is_left_alone() -> None:
    """A model that already takes strict tools, through its region's profile, is not touched."""
    text = SPEC.format(region="eu-west-1", model="eu.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert MIGRATION["migrate"](text) == (text, None)
