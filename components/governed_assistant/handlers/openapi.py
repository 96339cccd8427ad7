"""The conversation API's OpenAPI 3.1 document, generated from the models the handlers take and send.

``openapi_document(spec)`` describes every route of ``governed_assistant.wire.ROUTES``, the
console's (``CONSOLE_ROUTES``) and the local API's own (``LOCAL_ROUTES``): who may call it (a
bearer JWT whose claims, named by the spec, are the only source of tenant, user and roles, or
nobody's token), the request bodies (``handlers.validation``), every
answer's body (``handlers.responses`` and the contracts the handlers send), and every refusal:
each status with its error codes (``handlers.http.ERROR_CODES``) and API Gateway's own answers.
A gate decision's reason codes are ``runtime.gate.ReasonCode`` and the gate step's
``job_mismatch``.

    python -m governed_assistant.handlers.openapi [assistant.yaml] [--out openapi.json]

prints it as JSON, or writes it. The project ships that file (``make openapi``); ``make dev``
serves the same document at ``GET /openapi.json``.

Why not Powertools' resolver, which emits OpenAPI from the same kind of models: it routes and
validates inside the API function, adding a quarter to nearly half a second to its cold start
(230-400 ms measured on a development machine, beside the API module's own import), for a
document that is built once, offline. The API function never imports this module.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final, get_args

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from governed_assistant.contracts import ActionProposal, GateDecision, Job
from governed_assistant.errors import GovernanceError
from governed_assistant.handlers.authority import JOB_MISMATCH
from governed_assistant.handlers.http import ERROR_CODES
from governed_assistant.handlers.operations import (
    CALLER_CODES,
    Caller,
    Operation,
    Reply,
    operations,
)
from governed_assistant.handlers.responses import (
    EVENT_STREAM_TYPE,
    JSON_TYPE,
    ErrorBody,
    GatewayError,
)
from governed_assistant.handlers.routing import ID_PATTERN
from governed_assistant.handlers.sse import EVENT_NAME
from governed_assistant.runtime.approvals.models import ApprovalView
from governed_assistant.runtime.gate.constants import SECURITY_REASON_CODES, ReasonCode
from governed_assistant.spec.loader import DEFAULT_SPEC_PATH, load_spec
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    CONSOLE_ROUTES,
    LOCAL_ROUTES,
    ROUTES,
)

OPENAPI_VERSION: Final = "3.1.0"
# The contract's version: its major moves when a change would break a client.
API_VERSION: Final = "1.0.0"
BEARER: Final = "bearerJwt"
SCHEMAS: Final = "#/components/schemas/"
# Every reason code a gate decision can carry: the gate's own, and the gate step's refusal of an
# input no job backs (governed_assistant.handlers.gate).
GATE_REASON_CODES: Final[tuple[str, ...]] = (*get_args(ReasonCode), JOB_MISMATCH)
# The media type extension naming each server-sent event's data schema, by event name (OpenAPI 3.1
# has no field for it; 3.2's itemSchema is the same idea).
EVENTS_EXTENSION: Final = "x-events"

# The tenant's rate limit refusal, and the header it carries.
RATE_LIMITED: Final = "rate_limited"
RETRY_AFTER_HEADER: Final[Mapping[str, Any]] = {
    "description": "Seconds until the tenant's rate limit window ends (on a rate_limited answer).",
    "schema": {"type": "integer", "minimum": 1},
}

# Each model's ``{"$ref": ...}`` in the document.
Refs = dict[Any, dict[str, Any]]


def openapi_document(spec: AssistantSpec, *, local_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``spec``'s API; ``local_url``, a running local API, comes first."""
    described = operations(spec)
    missing = {*ROUTES, *CONSOLE_ROUTES, *LOCAL_ROUTES} - {operation.route for operation in described}
    if missing:
        raise GovernanceError(f"Routes without a description, routes={sorted(missing)}; describe each")
    schemas, refs = _schemas(described)
    paths: dict[str, dict[str, Any]] = {}
    for operation in described:
        method, path = operation.route.split(" ", 1)
        item = paths.setdefault(path, {})
        if "{id}" in path:
            item["parameters"] = [_id_parameter()]
        item[method.lower()] = _operation(operation, spec, refs)
    servers = [_aws_server(spec)]
    if local_url is not None:
        servers.insert(0, {"url": local_url, "description": "The local stack (make dev)."})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": spec.name, "version": API_VERSION, "description": _description(spec)},
        "servers": servers,
        "security": [{BEARER: []}],
        "tags": [
            {"name": "messages", "description": "Ask the assistant."},
            {"name": "jobs", "description": "What became of a message."},
            {"name": "approvals", "description": "Human approval of gated actions."},
            {"name": "console", "description": "The page people in the loop use (no data, no token)."},
            {"name": "local", "description": "The local stack's own routes (make dev)."},
        ],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {BEARER: _bearer_scheme(spec)}},
    }


def document_json(document: Mapping[str, Any]) -> str:
    """The document as the project ships it: indented JSON, one trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _schemas(described: Sequence[Operation]) -> tuple[dict[str, Any], Refs]:
    """``components.schemas`` from the models (bodies as validated, answers as serialized), and a
    ``$ref`` per model."""
    modes: dict[type[BaseModel], JsonSchemaMode] = {}
    for operation in described:
        if operation.body is not None:
            modes[operation.body] = "validation"
        for reply in operation.replies.values():
            for model in (reply.body, reply.events):
                if model is not None:
                    modes[model] = "serialization"
    for model in (ErrorBody, GatewayError, GateDecision, ActionProposal):
        modes[model] = "serialization"
    keyed, top = models_json_schema(
        [(model, mode) for model, mode in modes.items()], by_alias=True, ref_template=SCHEMAS + "{model}"
    )
    schemas: dict[str, Any] = top["$defs"]
    refs: Refs = {model: ref for (model, _), ref in keyed.items()}

    def name(model: type[BaseModel]) -> str:
        return str(refs[model]["$ref"]).removeprefix(SCHEMAS)

    for schema in schemas.values():
        # pydantic titles every property after its name ("Jobid"): noise in a document for people.
        for field in schema.get("properties", {}).values():
            field.pop("title", None)

    schemas[name(ErrorBody)]["properties"]["error"] |= {
        "enum": sorted(ERROR_CODES),
        "description": "The error code. " + _code_list(sorted(ERROR_CODES)),
    }
    reason_codes = schemas[name(GateDecision)]["properties"]["reasonCodes"]
    reason_codes["items"] |= {"enum": list(GATE_REASON_CODES)}
    security = ", ".join([*sorted(SECURITY_REASON_CODES), JOB_MISMATCH])
    reason_codes["description"] = (
        "One code per reason, in the same order: stable, for clients and dashboards. "
        f"{security} make the decision a security event (securityEvent)."
    )
    decision, proposal = refs[GateDecision], refs[ActionProposal]
    _describe_object(schemas[name(Job)], "result", {"decision": decision})
    _describe_object(schemas[name(ApprovalView)], "details", {"proposal": proposal, "decision": decision})
    return schemas, refs


def _id_parameter() -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "The job's or approval's id, as an earlier answer gave it.",
        "schema": {"type": "string", "pattern": f"^{ID_PATTERN}$"},
    }


def _describe_object(schema: dict[str, Any], field: str, properties: Mapping[str, Any]) -> None:
    """Name the known properties of an open object field (``Job.result``, ``ApprovalView.details``)."""
    found = schema["properties"][field]
    branches = [branch for branch in found.get("anyOf", [found]) if branch.get("type") == "object"]
    if len(branches) != 1:
        raise GovernanceError(f"Cannot describe {field}: no object schema, schema={found}")
    branches[0]["properties"] = dict(properties)


def _operation(operation: Operation, spec: AssistantSpec, refs: Refs) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": operation.operation_id,
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": operation.description,
        "security": _security(operation.caller, spec),
    }
    if operation.headers:
        described["parameters"] = [dict(header) for header in operation.headers]
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {JSON_TYPE: {"schema": refs[operation.body]}},
        }
    responses: dict[str, Any] = {}
    for status, reply in operation.replies.items():
        responses[str(int(status))] = _reply(reply, refs)
    for status, answer in _errors(operation, refs).items():
        responses[str(status)] = answer
    described["responses"] = dict(sorted(responses.items()))
    return described


def _reply(reply: Reply, refs: Refs) -> dict[str, Any]:
    if reply.body is not None:
        return {"description": reply.description, "content": {JSON_TYPE: {"schema": refs[reply.body]}}}
    if reply.events is not None:
        stream = {
            "schema": {"type": "string", "description": f"Server-sent events, each `event: {EVENT_NAME}`."},
            EVENTS_EXTENSION: {EVENT_NAME: refs[reply.events]},
        }
        return {"description": reply.description, "content": {EVENT_STREAM_TYPE: stream}}
    if reply.document:
        return {"description": reply.description, "content": {JSON_TYPE: {"schema": {"type": "object"}}}}
    if reply.text is not None:
        media = reply.text.split(";", 1)[0]
        return {"description": reply.description, "content": {media: {"schema": {"type": "string"}}}}
    return {"description": reply.description}


def _errors(operation: Operation, refs: Refs) -> dict[int, dict[str, Any]]:
    """Each error status the route may answer: the function's codes, and the gateway's own answer."""
    codes = [*operation.codes, *(CALLER_CODES if operation.caller != "anyone" else ())]
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_CODES[code].status, []).append(code)
    gateway = operation.gateway
    answers: dict[int, dict[str, Any]] = {}
    for status in sorted(set(by_status) | set(gateway)):
        schemas: list[dict[str, Any]] = []
        lines: list[str] = []
        if status in by_status:
            narrowed = {"properties": {"error": {"enum": sorted(by_status[status])}}}
            schemas.append({"allOf": [refs[ErrorBody], narrowed]})
            lines.append(_code_list(sorted(by_status[status])))
        if status in gateway:
            schemas.append(refs[GatewayError])
            lines.append(f"GatewayError: {gateway[status]}")
        schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
        answers[status] = {
            "description": f"{HTTPStatus(status).phrase}. " + " ".join(lines),
            "content": {JSON_TYPE: {"schema": schema}},
        }
        if RATE_LIMITED in by_status.get(status, ()):
            answers[status]["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    return answers


def _code_list(codes: Sequence[str]) -> str:
    return " ".join(f"`{code}` ({ERROR_CODES[code].status}): {ERROR_CODES[code].meaning}" for code in codes)


def _security(caller: Caller, spec: AssistantSpec) -> list[dict[str, list[str]]]:
    if caller == "anyone":
        return []
    if caller == "approver":
        # OpenAPI 3.1: for a non-OAuth scheme, the array names roles; the requirements are alternatives.
        return [{BEARER: [role]} for role in spec.approver_roles]
    return [{BEARER: []}]


def _bearer_scheme(spec: AssistantSpec) -> dict[str, Any]:
    claims = spec.identity.claims
    if spec.identity.provider == "cognito":
        issuer = "the stack's Cognito user pool (the stack outputs issuer and user_pool_id)"
    else:
        issuer = f"the OIDC issuer {spec.identity.issuer}, for the audience {spec.identity.audience}"
    return {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            f"A JWT signed by {issuer}, verified by API Gateway's JWT authorizer before the API "
            f"function runs (locally, by the local API: make dev prints tokens of its dev issuer, make "
            f"token makes more). The tenant is the verified claim `{claims.tenant}`, the user "
            f"`{claims.user}`, the roles `{claims.roles}`: nothing in a body, a query or a header "
            "names them."
        ),
        "x-claims": {"tenant": claims.tenant, "user": claims.user, "roles": claims.roles},
    }


def _aws_server(spec: AssistantSpec) -> dict[str, Any]:
    domain = "amazonaws.com.cn" if spec.region.startswith("cn-") else "amazonaws.com"
    return {
        "url": f"https://{{apiId}}.execute-api.{{region}}.{domain}",
        "description": "The deployed HTTP API (pulumi stack output api_url).",
        "variables": {
            "apiId": {"default": "api-id", "description": "The API's id, in the stack output api_url."},
            "region": {"default": spec.region, "description": "The stack's region."},
        },
    }


def _description(spec: AssistantSpec) -> str:
    intro = f"{spec.description}\n\n" if spec.description else ""
    return intro + (
        "A governed assistant: a message becomes a job; the model only proposes, and the gate "
        "(schema, tenant, resource owner, Cedar, risk) decides whether an action runs, waits for a "
        "human approver, or is refused. Every refusal is `{error, message, requestId}` with an "
        "error code per status (API Gateway's own answers are `{message}`). Generated from the "
        "handlers' models by governed_assistant.handlers.openapi."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m governed_assistant.handlers.openapi",
        description="Print (or write) the API's OpenAPI document for a spec.",
    )
    parser.add_argument(
        "spec", nargs="?", default=DEFAULT_SPEC_PATH, help="the spec (default: assistant.yaml)"
    )
    parser.add_argument("--out", type=Path, help="write the document here instead of printing it")
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.spec)
    except GovernanceError as error:
        print(error, file=sys.stderr)
        return 1
    text = document_json(openapi_document(spec))
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
