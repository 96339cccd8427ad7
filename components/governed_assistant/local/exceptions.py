"""The local stack's errors: each says what is wrong and how to fix it."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class LocalStackError(GovernanceError):
    """When the local stack cannot start or run as configured."""


class PortInUseError(LocalStackError):
    """When a port the local stack should listen on is taken by another process."""

    def __init__(self, *, server: str, host: str, port: int, option: str, env: str, error: str) -> None:
        self.server = server
        self.port = port
        super().__init__(
            f"cannot listen on {host}:{port} for the {server} ({error}), server={server}, port={port}; "
            f"stop whatever holds the port, or pick another with {option} <port> or {env}=<port> "
            "(0 takes any free port)"
        )


class ModelScriptError(LocalStackError):
    """When ``local/model-script.yaml`` cannot be read or a rule in it is malformed."""


class HandlerImportError(LocalStackError):
    """When a Lambda handler named by dotted path cannot be imported."""


class TokenRequestError(LocalStackError):
    """When ``make token`` is asked for a token the assistant would refuse (no user, unknown role)."""
