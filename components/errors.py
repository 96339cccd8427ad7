# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The one base class every governance error derives from."""

from __future__ import annotations


class GovernanceError(Exception):
    """When anything in the governed assistant refuses to proceed."""
