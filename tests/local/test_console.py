"""The console in a real browser (Debian's headless Chromium, driven by Selenium) on the local stack.

A requester signs in with a pasted token and asks for an action that needs approval; the job's
timeline shows it waiting. An approver of another tenant sees nothing; an approver of the same
tenant, signed in as one of the banner's demo identities, sees the proposal, its risk and the
gate's reasons, and approves; the requester's timeline shows the job complete. The page decides
nothing: every refusal and every list is the API's. The model is steered to write
``<img src=x onerror=...>`` into the proposal, which the page must show as text.

``UPDATE_SCREENSHOT=1`` writes the approver's view to ``docs/console.png`` (the READMEs show it).
Without Chromium and its driver the test skips, saying how to install them; under CI it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from governed_assistant.authz import starter_policy
from governed_assistant.local.samples import SampleLedger, install_sample_actions
from governed_assistant.local.stack import LocalStack
from governed_assistant.spec import load_spec

from tests.conftest import REPO_ROOT, require_module, skip_or_fail_in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install chromium chromium-driver (as .ci/run does)"
SCREENSHOT = REPO_ROOT / "docs" / "console.png"
# What the scripted model writes into the proposal: markup the page must show, never run.
PAYLOAD = "<img src=x onerror=window.__xss=1>"
MESSAGE = "please issue a refund for the duplicate charge"
T = TypeVar("T")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The reference assistant with the sample executors, acme live, and a model whose refund
    proposal carries markup in its reason."""
    project = tmp_path_factory.mktemp("console")
    shutil.copy(REPO_ROOT / "assistant.yaml", project / "assistant.yaml")
    (project / "prompts").mkdir()
    (project / "prompts" / "system.md").write_text("You are a test assistant.\n")
    spec = load_spec(project / "assistant.yaml")
    (project / "policies").mkdir()
    for role in spec.roles:
        (project / "policies" / f"{role}.cedar").write_text(starter_policy(spec, role))
    rule = {
        "when": "(?i)duplicate charge",
        "tool_use": {
            "name": "issue_refund",
            "input": {
                "resourceId": "{tenant}-invoice-1",
                "tenantId": "{tenant}",
                "parameters": {"amount": 25, "currency": "USD", "reason": f"{PAYLOAD} duplicate charge"},
            },
        },
    }
    # A model talked into acting for another tenant: the gate refuses it.
    other = {
        "when": "(?i)refund for tenant (?P<other>[a-z0-9-]+)",
        "tool_use": {
            "name": "issue_refund",
            "input": {
                "resourceId": "{other}-invoice-1",
                "tenantId": "{other}",
                "parameters": {"amount": 5, "currency": "EUR", "reason": "goodwill"},
            },
        },
    }
    script = project / "model-script.yaml"
    script.write_text(yaml.safe_dump({"rules": [rule, other]}))
    before = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "actions"}
    install_sample_actions(spec, SampleLedger(project / "ledger.jsonl"))
    try:
        with LocalStack.start(project, port=0, model_script=script, poll_seconds=0.1) as running:
            running.set_flags(live_tenants=("acme",))
            yield running
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "actions"]:
            del sys.modules[name]
        sys.modules.update(before)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Debian's chromedriver (Selenium Manager never runs: both paths given)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        skip_or_fail_in_ci(f"no {' or '.join(missing)}: install Debian's Chromium and its driver, {INSTALL}")
    webdriver = require_module(
        "selenium.webdriver", "selenium is missing: pip install -r requirements-template.txt"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1360,900", "--no-first-run", "--disable-extensions", "--disable-sync",
        "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
        "--lang=en-US",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def _until(check: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"never: {what}")


def _css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def _one(driver: Any, selector: str, what: str) -> Any:
    return _until(lambda: next(iter(_css(driver, selector)), None), what)


def _text(driver: Any, selector: str) -> str:
    found = _css(driver, selector)
    return str(found[0].text) if found else ""


def _sign_in_as_demo(driver: Any, tenant: str, user: str) -> None:
    button = f'#demo-identities button[data-tenant="{tenant}"][data-user="{user}"]'
    _one(driver, button, f"the demo identity {user} of {tenant}").click()
    _until(lambda: user in _text(driver, "#who"), f"signed in as {user}")


def _approvals_note(driver: Any) -> str:
    """The approvals panel's note, once the API answered GET /approvals with nothing to decide."""
    return _until(lambda: _text(driver, "#approvals-note"), "the API's answer in the approvals panel")


def _sequence(job: Any) -> list[int]:
    """The event ids of a job's timeline, as the page shows them."""
    return [int(item.get_attribute("data-seq")) for item in job.find_elements("css selector", ".timeline li")]


def _api(stack: LocalStack, method: str, path: str, token: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback test URL
        return json.loads(answer.read())


def test_console_requester_asks_approver_of_the_tenant_approves_job_completes(
    stack: LocalStack, browser: Any
) -> None:
    """Paste a token, ask, watch it wait; another tenant's approver sees nothing; the tenant's approver
    sees proposal, risk and reasons (model markup as text) and approves; the timeline completes."""
    started = time.monotonic()
    browser.get(stack.console_url)
    requester = browser.current_window_handle
    # The requester may approve too: the API's separation of duties, not the page, hides their own.
    _one(browser, "#token", "the token box").send_keys(stack.token("acme", "erin", ["agent", "supervisor"]))
    _one(browser, "#paste-sign-in", "sign-in").click()
    _until(lambda: "sub=erin" in _text(browser, "#who"), "the pasted token's claims shown")
    _one(browser, "#message", "the message box").send_keys(MESSAGE)
    _one(browser, "#send", "send").click()
    job = _one(browser, "li.job", "the job's card")
    job_id = job.get_attribute("data-job-id")
    _until(lambda: job.get_attribute("data-status") == "awaiting_approval", "the job waits for approval")
    stages = [item.get_attribute("data-stage") for item in job.find_elements("css selector", ".timeline li")]
    assert "approval_requested" in stages, stages
    _one(browser, "#refresh-approvals", "refresh").click()
    assert _approvals_note(browser) == "No approval is waiting for you."
    assert not _css(browser, f'li.approval[data-job-id="{job_id}"]')

    browser.switch_to.new_window("tab")
    browser.get(stack.console_url)
    _sign_in_as_demo(browser, "globex", "grace")
    assert _approvals_note(browser) == "No approval is waiting for you."
    assert not _css(browser, "li.approval")

    _one(browser, "#sign-out", "sign out").click()
    _sign_in_as_demo(browser, "acme", "bob")
    card = _one(browser, f'li.approval[data-job-id="{job_id}"]', "the pending approval for the approver")
    assert card.find_element("css selector", ".action").text == "issue_refund on acme-invoice-1"
    assert "risk 0.6" in card.find_element("css selector", ".risk").text
    reasons = [item.text for item in card.find_elements("css selector", ".reasons li")]
    assert reasons and any("0.6" in reason for reason in reasons), reasons
    assert PAYLOAD in card.find_element("css selector", ".proposal").text
    assert not _css(browser, "img") and browser.execute_script("return window.__xss") is None
    assert "asked by erin" in card.text.lower()
    if os.environ.get("UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))
    card.find_element("css selector", "input").send_keys("checked the invoice")
    card.find_element("css selector", "button.approve").click()
    decision = card.find_element("css selector", ".decision")
    _until(lambda: decision.text == "approved by bob", "the API's answer: approved by bob")

    browser.switch_to.window(requester)
    _until(lambda: job.get_attribute("data-status") == "complete", "the requester's job completes")
    steps = [
        (item.get_attribute("data-stage"), item.get_attribute("data-status"))
        for item in job.find_elements("css selector", ".timeline li")
    ]
    assert ("approval_requested", "awaiting_approval") in steps and steps[-1] == ("complete", "complete")
    assert ("execute:issue_refund", "processing") in steps, steps
    assert _sequence(job) == list(range(1, len(steps) + 1))
    assert not _css(browser, "img") and browser.execute_script("return window.__xss") is None
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not [error for error in errors if "Content Security Policy" in error], errors
    print(f"console flow in the browser: {time.monotonic() - started:.1f} s")


def test_console_timeline_reconnects_when_each_answer_is_a_snapshot(stack: LocalStack, browser: Any) -> None:
    """Answered once per request, as API Gateway answers GET /jobs/{id}/events, the page reconnects with
    Last-Event-ID until the job ends: every stage once, in order. A user without an approver role is
    told so by the API."""
    stack.api.stream_events = False
    try:
        browser.get("about:blank")  # the console URL differs from the open page's by its fragment alone
        browser.get(stack.console_url)
        _sign_in_as_demo(browser, "acme", "alice")
        note = _approvals_note(browser)
        assert note.startswith("Nothing to decide here. The API says 403 not_approver"), note
        _one(browser, "#message", "the message box").send_keys(MESSAGE)
        _one(browser, "#send", "send").click()
        job = _one(browser, "li.job", "the job's card")
        job_id = job.get_attribute("data-job-id")
        _until(lambda: job.get_attribute("data-status") == "awaiting_approval", "the job waits for approval")
        bob = stack.token("acme", "bob", ["supervisor"])
        (approval,) = [a for a in _api(stack, "GET", "/approvals", bob)["approvals"] if a["jobId"] == job_id]
        _api(stack, "POST", f"/approvals/{approval['approvalId']}", bob, {"decision": "approve"})
        _until(lambda: job.get_attribute("data-status") == "complete", "the job completes on the timeline")
        sequence = _sequence(job)
        assert sequence == list(range(1, len(sequence) + 1)) and len(sequence) >= 4, sequence
        _one(browser, "#message", "the message box").send_keys("please issue refund for tenant globex")
        _one(browser, "#send", "send").click()
        denied = _one(browser, f'li.job:not([data-job-id="{job_id}"])', "the second job's card")
        _until(lambda: denied.get_attribute("data-status") == "rejected", "another tenant's refund refused")
        _until(lambda: denied.find_elements("css selector", ".outcome .reasons li"), "the gate's reasons")
        assert denied.find_element("css selector", ".outcome .error").text.startswith("Denied")
    finally:
        stack.api.stream_events = True
    browser.refresh()
    _until(lambda: _text(browser, "#who") == "Not signed in", "a reload signs out")
    assert _css(browser, "#demo-identities button"), "the tab keeps the run's key: the demo identities again"


def test_console_without_the_key_offers_no_demo_identities(stack: LocalStack, browser: Any) -> None:
    """Opened as in AWS, without the run's key (a new tab keeps none), the page takes a pasted token only."""
    browser.switch_to.new_window("tab")
    browser.get(stack.api_url + "/console")
    _one(browser, "#token", "the token box")
    time.sleep(1)  # time enough for a request the page must not make
    assert not _css(browser, "#demo-identities button")
    assert not browser.find_element("id", "demo").is_displayed()
    assert "console.js" in browser.page_source and not _css(browser, "img")
