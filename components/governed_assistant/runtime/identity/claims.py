"""Verified claims -> TenantContext: the one place that decides who is asking.

The claims given here must already be verified (signature, issuer, audience, lifetime) by
API Gateway's authorizer or by ``JwtVerifier``. Nothing else - body, headers, query, prompt,
model output - ever names the tenant, the user or the roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governed_assistant.contracts import TenantContext
from governed_assistant.errors import shown
from governed_assistant.runtime.identity.constants import MAX_USER_ID_CHARS as MAX_USER_ID_CHARS
from governed_assistant.runtime.identity.constants import ROLE_NAME_PATTERN
from governed_assistant.runtime.identity.constants import TENANT_ID_PATTERN as TENANT_ID_PATTERN
from governed_assistant.runtime.identity.exceptions import AuthenticationError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Claims


def context_from_claims(
    claims: Mapping[str, Any], claims_config: Claims | None = None, *, request_id: str | None = None
) -> TenantContext:
    """Build the TenantContext from already verified claims; a new uuid when no ``request_id``."""
    # Imported here: the spec model (and the spec package's YAML loader) costs a handler ~60 ms
    # of cold import, and only this default needs it.
    from governed_assistant.spec.model import Claims

    names = claims_config or Claims()
    return TenantContext(
        tenant_id=_tenant_id(claims, names.tenant),
        user_id=_user_id(claims, names.user),
        roles=parse_roles(claims.get(names.roles), claim=names.roles),
        request_id=request_id or str(uuid.uuid4()),
    )


def parse_roles(value: Any, *, claim: str = "cognito:groups") -> tuple[str, ...]:
    """Roles from a claim with its JSON type: a list of role names, or one string naming one group.

    Nothing is split: a group called ``"former supervisor"`` is one group, and since it is not a
    role name the token is refused, never read as the roles ``former`` and ``supervisor``. Each
    name must match ``ROLE_NAME_PATTERN`` in full. Order is kept, duplicates dropped.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = [value]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise AuthenticationError(
            "invalid_roles",
            f"Roles claim is neither a list nor a string, claim={claim}, type={type(value).__name__}; "
            "configure the identity provider to send the groups as a list of strings",
        )
    roles: list[str] = []
    for item in items:
        if not isinstance(item, str) or not ROLE_NAME_PATTERN.fullmatch(item):
            raise AuthenticationError(
                "invalid_roles",
                f"Roles claim holds a value that is not a role name, claim={claim}, value={shown(item)}; "
                "a role name is 1-64 lowercase letters, digits, '-' or '_' starting with a letter - "
                "rename the group in the identity provider, or take the user out of it",
            )
        if item not in roles:
            roles.append(item)
    return tuple(roles)


def _tenant_id(claims: Mapping[str, Any], claim: str) -> str:
    if claim not in claims or claims[claim] is None:
        raise AuthenticationError(
            "missing_tenant",
            f"Token has no tenant claim, claim={claim}; give every user the {claim} attribute in the "
            "identity provider (read-only for app clients), or set identity.claims.tenant in "
            "assistant.yaml to the claim your provider uses",
        )
    value = claims[claim]
    if not isinstance(value, str) or not TENANT_ID_PATTERN.fullmatch(value):
        problem = "is empty" if value == "" else "is not a tenant id"
        raise AuthenticationError(
            "invalid_tenant",
            f"Tenant claim {problem}, claim={claim}, value={shown(value)}; a tenant id is a JSON string "
            "of 1-128 letters, digits or ._:@+- starting with a letter or digit, nothing else - fix the "
            f"user's {claim} attribute in the identity provider",
        )
    return value


def _user_id(claims: Mapping[str, Any], claim: str) -> str:
    if claim not in claims or claims[claim] is None:
        raise AuthenticationError(
            "missing_user",
            f"Token has no user claim, claim={claim}; send an ID token that carries {claim}, or set "
            "identity.claims.user in assistant.yaml to the claim your provider uses",
        )
    value = claims[claim]
    if (
        not isinstance(value, str)
        or not value.strip()
        or value != value.strip()
        or not value.isprintable()
        or len(value) > MAX_USER_ID_CHARS
    ):
        raise AuthenticationError(
            "invalid_user",
            f"User claim is not a user id, claim={claim}, value={shown(value)}; a user id is a non-blank "
            f"printable string of at most {MAX_USER_ID_CHARS} characters",
        )
    return value
