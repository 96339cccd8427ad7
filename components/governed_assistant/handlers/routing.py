"""Which route a request is for: API Gateway's ``routeKey``, else the method and path matched here.

The routes are the ones the conversation layer declares (``governed_assistant.wire.ROUTES``, and the
console's ``CONSOLE_ROUTES``); matching the path as well lets the local stack send ``$default``
events through the same handler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from governed_assistant.wire import CONSOLE_ROUTES, ROUTES

# A path parameter: what job and approval ids may be (the stores refuse anything else anyway).
ID_PATTERN: Final = r"[A-Za-z0-9_-]{1,64}"
_ID = rf"(?P<id>{ID_PATTERN})"
# Every route the API function answers: the API's, then the console's (which need no token).
SERVED: Final = (*ROUTES, *CONSOLE_ROUTES)
_PATTERNS: Final = tuple(
    (route, re.compile("^" + re.escape(route.split(" ", 1)[1]).replace(re.escape("{id}"), _ID) + "/?$"))
    for route in SERVED
)


@dataclass(frozen=True)
class Match:
    route: str
    path_id: str | None


def match_route(event: Mapping[str, Any]) -> Match | None:
    """The route and its ``{id}``, or None when no route serves this method and path."""
    route_key = event.get("routeKey")
    parameters = event.get("pathParameters")
    if route_key in SERVED:
        path_id = parameters.get("id") if isinstance(parameters, Mapping) else None
        if "{id}" in route_key and not (isinstance(path_id, str) and re.fullmatch(_ID, path_id)):
            return None
        return Match(route_key, path_id if "{id}" in route_key else None)
    http = _http(event)
    method = str(http.get("method") or "").upper()
    path = str(http.get("path") or event.get("rawPath") or "")
    for route, pattern in _PATTERNS:
        if route.startswith(f"{method} "):
            found = pattern.match(path)
            if found:
                return Match(route, found.groupdict().get("id"))
    return None


def allowed_methods(event: Mapping[str, Any]) -> list[str]:
    """Methods some route serves at this request's path (to tell 405 from 404)."""
    http = _http(event)
    path = str(http.get("path") or event.get("rawPath") or "")
    return sorted({route.split(" ", 1)[0] for route, pattern in _PATTERNS if pattern.match(path)})


def _http(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """``requestContext.http``, or empty when the event lacks it or it is not an object."""
    request_context = event.get("requestContext")
    http = request_context.get("http") if isinstance(request_context, Mapping) else None
    return http if isinstance(http, Mapping) else {}
