"""Fixtures for the gate tests; the world they run in is in gate_harness.py."""

from __future__ import annotations

import pytest

from tests.runtime.gate.gate_harness import Gate


@pytest.fixture
def gate() -> Gate:
    """The gate with the starter policies, known owners, no flags and no hooks, for ALICE."""
    return Gate()
