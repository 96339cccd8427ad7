"""What API Gateway (HTTP API, payload format 2.0) does around the API function, minus the network.

``match_route`` finds the route (``governed_assistant.wire.ROUTES``, and the console's
``CONSOLE_ROUTES``, which have no authorizer); ``proxy_event`` builds the v2.0 event with the
verified claims (a route behind the authorizer) under ``requestContext.authorizer.jwt.claims``,
flattened to strings as the JWT authorizer flattens them (a list claim becomes
``"[agent supervisor]"``), and the request's headers, the Authorization header with the token among them; and
``proxy_response`` turns the function's result back into status, headers and body, including the
bare-result shorthand API Gateway accepts. Claims come only from the verified token: nothing in the
body, the query or the headers reaches ``authorizer``. The API function reads tenant, user and roles
with their JSON types from that token, as it does behind API Gateway, never from the flattened copy.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from governed_assistant.local.constants import ACCOUNT_ID
from governed_assistant.runtime.identity.api_gateway import flatten_claims
from governed_assistant.wire import CONSOLE_ROUTES, ROUTES

LOCAL_API_ID: Final = "local"
LOCAL_STAGE: Final = "$default"


@dataclass(frozen=True)
class Route:
    key: str
    method: str
    pattern: re.Pattern[str]


def _compile(route_key: str) -> Route:
    method, template = route_key.split(" ", 1)
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(route_key, method, re.compile(f"^{regex}$"))


ROUTE_TABLE: Final = tuple(_compile(route_key) for route_key in (*ROUTES, *CONSOLE_ROUTES))


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The route key and path parameters for ``method path``, or None (API Gateway's 404)."""
    for route in ROUTE_TABLE:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route.key, dict(found.groupdict())
    return None


def proxy_event(
    *,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    claims: Mapping[str, Any] | None,
    route_key: str,
    path_parameters: Mapping[str, str],
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends the function for this request (``claims``
    None: a route without the authorizer, whose event has no ``authorizer``)."""
    moment = time.time() if now is None else now
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    try:
        text: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "domainName": merged.get("host", "localhost"),
            "domainPrefix": LOCAL_API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": LOCAL_STAGE,
            "time": datetime.fromtimestamp(moment, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": flatten_claims(claims), "scopes": None}}
    if merged.get("cookie"):
        event["cookies"] = [part.strip() for part in merged["cookie"].split(";") if part.strip()]
    if query:
        parameters: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
        event["queryStringParameters"] = parameters
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if text is not None:
        event["body"] = text
    return event


def proxy_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body from the function's result, as API Gateway reads format 2.0.

    A dict with ``statusCode`` is taken as it is; anything else is the shorthand: a 200 whose
    JSON body is the result.
    """
    if not (isinstance(result, Mapping) and "statusCode" in result):
        return 200, {"content-type": "application/json"}, json.dumps(result).encode()
    headers = {str(name).lower(): str(value) for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name).lower()] = ",".join(str(value) for value in values)
    body = result.get("body")
    if body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(str(body))
    else:
        payload = str(body).encode()
    cookies = result.get("cookies") or []
    if cookies:
        headers["set-cookie"] = ", ".join(str(cookie) for cookie in cookies)
    headers.setdefault("content-type", "application/json")
    return int(result["statusCode"]), headers, payload
