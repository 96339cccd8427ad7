"""The console: one page where people in the loop chat with the assistant, follow a job's
timeline live, and decide the approvals of their tenant.

The page adds no authority of its own. It holds no data and decides nothing: every call it makes
goes to the API's routes with the user's bearer token, and the API decides who may do what. The
API function serves it (``GET /console`` and ``GET /console.js``, on routes without the
authorizer) with a strict Content-Security-Policy; the local stack serves the same.
"""

from __future__ import annotations

from governed_assistant.console.assets import (
    CONSOLE_FILES,
    HTML_TYPE,
    SCRIPT_TYPE,
    Asset,
    console_asset,
    content_security_policy,
)

__all__ = [
    "CONSOLE_FILES",
    "HTML_TYPE",
    "SCRIPT_TYPE",
    "Asset",
    "console_asset",
    "content_security_policy",
]
