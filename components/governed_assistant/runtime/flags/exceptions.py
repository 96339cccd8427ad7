"""Errors raised while reading the rollout flags."""

from __future__ import annotations

from aws_lambda_powertools.utilities.feature_flags import ConfigurationStoreError

from governed_assistant.errors import GovernanceError


class FlagsError(GovernanceError):
    """When the rollout flags cannot be read or make no sense; rollout fails closed."""


class FlagsConfigError(FlagsError):
    """When no flags store is configured (neither a flags file nor an AppConfig profile)."""


class FlagsDocumentError(FlagsError, ConfigurationStoreError):
    """When the flags document is missing, not JSON, or breaks the flags schema.

    Also a Powertools ``ConfigurationStoreError``, which is what a ``StoreProvider`` raises.
    """
