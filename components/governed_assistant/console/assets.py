"""The console's two files, and the headers each is served with.

``console.html`` is the page, its style inline; ``console.js`` is its script, served on its own
route so the policy needs no inline script. The Content-Security-Policy lets the page run only
that script, apply only its own inline style (by its SHA-256, computed from the file), connect
only to the origin that served it (the API), and be framed by nobody. Only the standard library
is imported: the API function loads this module on the first console request, never on its
cold start.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from governed_assistant.errors import GovernanceError
from governed_assistant.wire import ROUTE_CONSOLE, ROUTE_CONSOLE_SCRIPT

HTML_TYPE: Final = "text/html; charset=utf-8"
SCRIPT_TYPE: Final = "text/javascript; charset=utf-8"
# Which file each console route answers with, and as what.
CONSOLE_FILES: Final[Mapping[str, tuple[str, str]]] = {
    ROUTE_CONSOLE: ("console.html", HTML_TYPE),
    ROUTE_CONSOLE_SCRIPT: ("console.js", SCRIPT_TYPE),
}
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


class ConsoleAssetError(GovernanceError):
    """When a console file is missing from the package, or the page's inline style cannot be hashed."""


@dataclass(frozen=True)
class Asset:
    """A console file as the API answers with it: its text, its content type, its security headers."""

    body: str
    content_type: str
    headers: Mapping[str, str]


def content_security_policy(page: str) -> str:
    """The page's policy: its own script and origin only, its one inline style by hash, no framing."""
    styles = _STYLE.findall(page)
    if len(styles) != 1:
        raise ConsoleAssetError(
            f"the console page must hold exactly one <style> element, found={len(styles)}; keep its "
            "style in one block (the policy allows that block by its hash)"
        )
    digest = base64.b64encode(hashlib.sha256(styles[0].encode("utf-8")).digest()).decode("ascii")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'sha256-{digest}'",
            "connect-src 'self'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


@cache
def console_asset(route: str) -> Asset:
    """The file ``route`` (one of ``CONSOLE_FILES``) answers with, read once per process."""
    name, content_type = CONSOLE_FILES[route]
    try:
        body = files("governed_assistant.console").joinpath(name).read_text(encoding="utf-8")
    except OSError as error:
        raise ConsoleAssetError(
            f"the console file is missing, file={name}, error={error}; reinstall the "
            "governed-assistant package"
        ) from error
    page = body if route == ROUTE_CONSOLE else console_asset(ROUTE_CONSOLE).body
    headers = {
        "content-security-policy": content_security_policy(page),
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
    }
    return Asset(body, content_type, headers)
