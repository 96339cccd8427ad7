"""``erase_tenant``: delete one tenant's data from every store the product keeps it in.

    report = erase_tenant("acme", erasers, confirm="acme")        # or dry_run=True to count only

The tenant id is checked first against the pattern every verified token's tenant must match
(``TENANT_ID_PATTERN``), so no key, prefix or filter is ever built from a value the product
could not have stored: no ``#``, ``/``, ``*``, ``%``, quote or space. Every store then deletes by
its own tenant scoping: an exact partition key or a key prefix ending in the separator
(``acme#``, ``tenants/acme/``), an exact ``tenantId`` term, or an equality under row-level
security; never a pattern match. ``acme`` can therefore never reach ``acme-corp``'s data.

The stores run in the order given (``build_erasers`` puts the running executions first, so no
step writes a record back while the tables are emptied). A store that fails is reported with its
error and the others still run: an erasure is idempotent, so running it again finishes the job.
"""

from __future__ import annotations

from collections.abc import Sequence

from governed_assistant.erasure.base import ErasureReport, StoreEraser, StoreResult
from governed_assistant.erasure.exceptions import ConfirmationError, InvalidTenantError
from governed_assistant.runtime.identity.constants import TENANT_ID_PATTERN


def check_tenant_id(tenant_id: object) -> str:
    """``tenant_id`` if the product could have stored it; else ``InvalidTenantError``."""
    if not isinstance(tenant_id, str) or not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise InvalidTenantError(tenant_id)
    return tenant_id


def erase_tenant(
    tenant_id: str,
    erasers: Sequence[StoreEraser],
    *,
    confirm: str | None = None,
    dry_run: bool = False,
    retained: Sequence[str] = (),
) -> ErasureReport:
    """Count, then (unless ``dry_run``) delete, ``tenant_id``'s data in each store.

    ``confirm`` must repeat ``tenant_id`` exactly for anything to be deleted; a dry run needs no
    confirmation. ``retained`` lists where the data remains for a while (logs, backups): it is
    put in the report as given.
    """
    tenant_id = check_tenant_id(tenant_id)
    if not dry_run and confirm != tenant_id:
        raise ConfirmationError(tenant_id, confirm)
    results: list[StoreResult] = []
    for index, eraser in enumerate(erasers):
        result = _run(eraser, tenant_id, dry_run=dry_run)
        results.append(result)
        if result.error is not None and getattr(eraser, "halts_on_error", False):
            # Erasing the tables under executions still running would let them write records back.
            results.extend(
                StoreResult(store=later.store, found=0, error=f"not run: {eraser.store} failed first")
                for later in erasers[index + 1 :]
            )
            break
    return ErasureReport(
        tenant_id=tenant_id, dry_run=dry_run, results=tuple(results), retained=tuple(retained)
    )


def _run(eraser: StoreEraser, tenant_id: str, *, dry_run: bool) -> StoreResult:
    store = eraser.store
    found = 0
    try:
        found = eraser.count(tenant_id)
        erased = 0 if dry_run else eraser.erase(tenant_id)
    except Exception as error:  # one store's failure must not keep the others from erasing
        problem = f"{type(error).__name__}: {error}"
        return StoreResult(store=store, found=found, note=eraser.note, error=problem)
    return StoreResult(store=store, found=found, erased=erased, note=eraser.note)
