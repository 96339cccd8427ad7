"""Credentials scoped to one tenant: the request path reaches tenant rows only through them.

The API function assumes the tenant data role once per tenant, tagging the session
``tenantId=<tenant>``. That role's policy allows DynamoDB only where every partition key starts
with ``${aws:PrincipalTag/tenantId}#`` (``dynamodb:LeadingKeys``), so a bug that names another
tenant's key is refused by IAM as well as by the stores' own key rule. A tenant's session is
kept until shortly before its credentials expire.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from governed_assistant.errors import GovernanceError
from governed_assistant.wire import TENANT_SESSION_TAG

# STS's shortest session; a request path needs no longer, and a leaked one lives least.
SESSION_SECONDS: Final = 900
# Credentials this close to expiry are replaced, so none expires in the middle of a request.
REFRESH_MARGIN: Final = timedelta(minutes=2)
# STS session tag values: up to 256 letters, digits, spaces and _ . : / = + - @ ("#" would also
# end the key prefix the role's policy matches).
_TAG_VALUE = re.compile(r"[\w .:/=+\-@]{1,256}")
# RoleSessionName allows [\w+=,.@-] up to 64 characters; it names the tenant in CloudTrail.
_SESSION_NAME_UNSAFE = re.compile(r"[^\w+=,.@-]")


class TenantSessionError(GovernanceError):
    """When credentials scoped to a tenant cannot be asked for (a tenant id STS cannot tag)."""


SessionFactory = Callable[..., Any]
Clock = Callable[[], datetime]


def _default_session_factory(**credentials: str) -> Any:
    import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

    return boto3.Session(**credentials)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Cached:
    session: Any
    expires: datetime
    clients: dict[str, Any]


class TenantSessions:
    """boto3 sessions (and their clients), one per tenant, on the tenant data role's credentials."""

    def __init__(
        self,
        sts_client: Any,
        role_arn: str,
        *,
        session_factory: SessionFactory = _default_session_factory,
        clock: Clock = _utc_now,
    ) -> None:
        self._sts = sts_client
        self.role_arn = role_arn
        self._session_factory = session_factory
        self._clock = clock
        self._cached: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def client(self, tenant_id: str, service: str) -> Any:
        """A client for ``service`` that acts as ``tenant_id``'s session; reused while it is fresh."""
        with self._lock:
            cached = self._fresh(tenant_id)
            if service not in cached.clients:
                cached.clients[service] = cached.session.client(service)
            return cached.clients[service]

    def _fresh(self, tenant_id: str) -> _Cached:
        cached = self._cached.get(tenant_id)
        if cached is None or cached.expires - REFRESH_MARGIN <= self._clock():
            cached = self._assume(tenant_id)
            self._cached[tenant_id] = cached
        return cached

    def _assume(self, tenant_id: str) -> _Cached:
        if not _TAG_VALUE.fullmatch(tenant_id):
            raise TenantSessionError(
                f"A tenant id must be 1 to 256 letters, digits, spaces or _.:/=+-@ to tag a session, "
                f"tenant={tenant_id!r}; issue tenant ids of those characters"
            )
        response = self._sts.assume_role(
            RoleArn=self.role_arn,
            RoleSessionName=("tenant-" + _SESSION_NAME_UNSAFE.sub("_", tenant_id))[:64],
            DurationSeconds=SESSION_SECONDS,
            Tags=[{"Key": TENANT_SESSION_TAG, "Value": tenant_id}],
        )
        credentials = response["Credentials"]
        session = self._session_factory(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return _Cached(session=session, expires=credentials["Expiration"], clients={})
