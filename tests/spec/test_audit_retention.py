"""The audit archive's retention in the spec: bounded, and never longer on dev than on production."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.spec.model import Observability
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        pytest.param({"audit_retention_days": 0}, "greater than or equal to 1", id="zero"),
        pytest.param({"audit_retention_days": 3651}, "less than or equal to 3650", id="past-ten-years"),
        pytest.param({"dev_audit_retention_days": 0}, "greater than or equal to 1", id="dev-zero"),
        pytest.param(
            {"audit_retention_days": 30, "dev_audit_retention_days": 31},
            "dev_audit_retention_days=31 is longer than audit_retention_days=30",
            id="dev-longer-than-production",
        ),
    ],
)
def test_audit_retention_out_of_bounds_is_refused(settings: dict[str, Any], problem: str) -> None:
    """Retention outside 1..3650 days, or longer on dev than on production, is refused with the values."""
    with pytest.raises(ValidationError, match=problem):
        Observability(**settings)


@pytest.mark.parametrize(
    ("stack", "days"),
    [
        pytest.param("prod", 400, id="prod"),
        pytest.param("production-eu", 400, id="production-eu"),
        pytest.param("dev", 2, id="dev"),
        pytest.param("staging", 2, id="staging"),
    ],
)
def test_audit_days_production_stacks_keep_the_production_retention(stack: str, days: int) -> None:
    """Production stacks lock records for audit_retention_days; every other for dev_audit_retention_days."""
    assert Observability(audit_retention_days=400, dev_audit_retention_days=2).audit_days(stack) == days


def test_audit_retention_defaults_are_a_year_and_a_day() -> None:
    """By default production keeps a year of evidence; other stacks a day, so they can be torn down."""
    assert (Observability().audit_retention_days, Observability().dev_audit_retention_days) == (365, 1)
