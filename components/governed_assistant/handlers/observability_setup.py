"""The decision-event domain's setup: run on deploy by ``aws.lambda_.Invocation``.

Its input is what ``governed_assistant.infra.search_domain`` sends: the domain ``endpoint``, the
``masterRoleArn`` to act as, the ``indexTemplate`` and ``ismPolicy`` documents, the security
``roles`` and their ``roleMappings``. It assumes the master role (fine-grained access control
lets only the master user manage security), then applies each document with a SigV4-signed
HTTPS request (service ``es``). Every step is idempotent: the template, roles and mappings are
PUT as they are; the ISM policy, which OpenSearch refuses to overwrite blindly, is compared
first and updated with its sequence number only when it differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Final, Protocol

from governed_assistant.handlers.exceptions import HandlerError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.handlers.tracing import TRACER

SERVICE: Final = "es"
SESSION_NAME: Final = "governed-observability-setup"


class SearchSetupError(HandlerError):
    """When the domain refuses a setup request, or the input lacks a document."""


class HttpPool(Protocol):
    """What the setup needs of ``urllib3.PoolManager``."""

    def request(
        self,
        method: str,
        url: str,
        body: Any = ...,
        fields: Any = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> Any: ...


class StsClient(Protocol):
    """The one method of ``boto3.client("sts")`` the setup uses."""

    def assume_role(self, **kwargs: Any) -> dict[str, Any]: ...


class SignedClient:
    """JSON over HTTPS to an OpenSearch Service domain, signed with SigV4 for ``es``."""

    def __init__(self, endpoint: str, credentials: Any, region: str, pool: HttpPool) -> None:
        self._base = endpoint.rstrip("/") if "://" in endpoint else f"https://{endpoint.rstrip('/')}"
        self._credentials = credentials
        self._region = region
        self._pool = pool

    def send(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped]  # botocore ships no hints
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]

        url = f"{self._base}/{path.lstrip('/')}"
        data = json.dumps(body, sort_keys=True).encode() if body is not None else b""
        request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
        SigV4Auth(self._credentials, SERVICE, self._region).add_auth(request)
        response = self._pool.request(method, url, body=data, headers=dict(request.headers.items()))
        raw = response.data or b"{}"
        try:
            return int(response.status), json.loads(raw)
        except ValueError:
            return int(response.status), {"raw": raw.decode("utf-8", errors="replace")}

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        status, answer = self.send("PUT", path, body)
        if status >= 300:
            raise SearchSetupError(
                f"The domain refused a setup request, method=PUT, path={path}, status={status}, "
                f"answer={json.dumps(answer)[:500]}; check the master role's mapping and the document"
            )
        return answer


def _required(event: Mapping[str, Any], key: str) -> Any:
    if key not in event:
        raise SearchSetupError(
            f"The setup input lacks a field, field={key}; it is built by "
            "governed_assistant.infra.search_domain (redeploy with `pulumi up`)"
        )
    return event[key]


def apply_ism_policy(client: SignedClient, policy_id: str, body: Mapping[str, Any]) -> str:
    """Create the ISM policy, or update it when it differs; ``created``, ``updated`` or ``unchanged``."""
    path = f"_plugins/_ism/policies/{policy_id}"
    status, current = client.send("GET", path)
    if status == 404:
        client.put(path, body)
        return "created"
    if status >= 300:
        raise SearchSetupError(f"Cannot read the ISM policy, path={path}, status={status}; check the domain")
    wanted = body.get("policy", {})
    existing = current.get("policy", {})
    # OpenSearch adds bookkeeping fields (policy_id, last_updated_time, schema_version...).
    if all(existing.get(key) == value for key, value in wanted.items()):
        return "unchanged"
    client.put(f"{path}?if_seq_no={current['_seq_no']}&if_primary_term={current['_primary_term']}", body)
    return "updated"


def apply(event: Mapping[str, Any], client: SignedClient) -> dict[str, Any]:
    """Apply every document of ``event`` through ``client``; what was done, by document."""
    template = _required(event, "indexTemplate")
    policy = _required(event, "ismPolicy")
    done: dict[str, Any] = {}
    client.put(f"_index_template/{template['name']}", template["body"])
    done["indexTemplate"] = template["name"]
    done["ismPolicy"] = apply_ism_policy(client, policy["id"], policy["body"])
    for role, body in (event.get("roles") or {}).items():
        client.put(f"_plugins/_security/api/roles/{role}", body)
    for role, mapping in (event.get("roleMappings") or {}).items():
        client.put(f"_plugins/_security/api/rolesmapping/{role}", mapping)
    done["roles"] = sorted(event.get("roles") or {})
    done["roleMappings"] = sorted(event.get("roleMappings") or {})
    return done


def master_credentials(sts: StsClient, role_arn: str) -> Any:
    """Temporary credentials of the master user role, as botocore's signer takes them."""
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
    return Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])


@LOGGER.inject_lambda_context
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Mapping[str, Any], lambda_context: Any) -> dict[str, Any]:
    """The Invocation's entry point."""
    import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints
    import urllib3

    credentials = master_credentials(boto3.client("sts"), str(_required(event, "masterRoleArn")))
    pool = urllib3.PoolManager(retries=urllib3.Retry(total=3, backoff_factor=0.5))
    region = os.environ.get("AWS_REGION", "us-east-1")
    return apply(event, SignedClient(str(_required(event, "endpoint")), credentials, region, pool))
