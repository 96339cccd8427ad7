"""The console's files: one page and its script, a strict policy, nothing fetched from elsewhere, and
nothing from the API or the model ever parsed as HTML."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from governed_assistant.console import HTML_TYPE, SCRIPT_TYPE, console_asset, content_security_policy
from governed_assistant.console.assets import ConsoleAssetError
from governed_assistant.wire import ROUTE_CONSOLE, ROUTE_CONSOLE_SCRIPT

PAGE = console_asset(ROUTE_CONSOLE)
SCRIPT = console_asset(ROUTE_CONSOLE_SCRIPT)


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_console_policy_allows_only_its_own_script_origin_and_hashed_style() -> None:
    """default-src and connect-src 'self', the script by origin, the one inline style by its hash."""
    policy = _directives(PAGE.headers["content-security-policy"])
    (style,) = re.findall(r"<style>(.*?)</style>", PAGE.body, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == [f"'sha256-{digest}'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)
    assert SCRIPT.headers == PAGE.headers
    assert (PAGE.content_type, SCRIPT.content_type) == (HTML_TYPE, SCRIPT_TYPE)


def test_console_page_has_no_inline_script_and_loads_its_own_script_only() -> None:
    """Every <script> has a src, the sibling console.js; no on* handler attributes; no other origin."""
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", PAGE.body, re.DOTALL)
    assert scripts == [(' src="console.js" defer', "")]
    assert not re.search(r"\son[a-z]+\s*=", PAGE.body)
    for text in (PAGE.body, SCRIPT.body):
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), "nothing may come from elsewhere"


@pytest.mark.parametrize(
    "sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"]
)
def test_console_script_never_parses_text_as_html_or_code(sink: str) -> None:
    """API and model values go in with textContent: the script names no HTML or code sink."""
    assert sink not in SCRIPT.body


@pytest.mark.parametrize(
    "page",
    [
        pytest.param("<html><body>no style</body></html>", id="none"),
        pytest.param("<style>a{}</style><style>b{}</style>", id="two"),
    ],
)
def test_content_security_policy_page_without_exactly_one_style_is_refused(page: str) -> None:
    """The policy allows one inline style by its hash: a page with none or two is an error."""
    with pytest.raises(ConsoleAssetError, match="exactly one <style>"):
        content_security_policy(page)
