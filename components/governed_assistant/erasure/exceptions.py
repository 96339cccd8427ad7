"""Errors raised while erasing a tenant's data."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError, shown


class ErasureError(GovernanceError):
    """When a tenant's data cannot be erased as asked."""


class InvalidTenantError(ErasureError):
    """When the tenant id is not one the product could have stored (so no key, prefix or filter is built)."""

    kind = "invalid"

    def __init__(self, tenant_id: object) -> None:
        self.tenant_id = tenant_id
        super().__init__(
            f"Not a tenant id, tenant={shown(tenant_id)}; a tenant id is 1 to 128 letters, digits and "
            "'._:@+-', starting with a letter or digit (no spaces, '#', '/', '*', '%' or quotes), e.g. acme"
        )


class ConfirmationError(ErasureError):
    """When an erasure is asked for without repeating the tenant id as its confirmation."""

    kind = "invalid"

    def __init__(self, tenant_id: str, confirm: str | None) -> None:
        self.tenant_id = tenant_id
        super().__init__(
            f"Erasure not confirmed, tenant={tenant_id}, confirm={shown(confirm)}; repeat the tenant id "
            f"exactly to erase (CONFIRM={tenant_id}), or do a dry run first to see what would go"
        )


class ErasureTargetsError(ErasureError):
    """When the stores to erase cannot be found (no stack outputs, or outputs without ``erasure``)."""

    kind = "invalid"


class StoreEraseError(ErasureError):
    """When one store refuses to count or erase a tenant's data (the others still run)."""

    def __init__(self, store: str, cause: str) -> None:
        self.store = store
        super().__init__(f"Could not erase from store={store}: {cause}")
