"""A flags document held in memory: tests, and one consistent snapshot per evaluation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.feature_flags import StoreProvider


class FixedFlagsStore(StoreProvider):
    """Always serves the same document (the very same object, so Powertools validates it once)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.document

    def get_configuration(self) -> dict[str, Any]:
        return self.document
