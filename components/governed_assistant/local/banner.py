"""What ``make dev`` prints once the stack is up: where everything listens, a token per demo user,
and commands to try, each one runnable as printed (the template's tests run them).

Commands sit on lines of their own under "Try", never inside prose, so they can be pasted whole;
what only the running stack knows (its port, the retrieval database, the Python it runs on) is
filled in, and the one value no banner can know, the job id an answer gives, reads ``<jobId>``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from governed_assistant.local.constants import DEFAULT_API_PORT
from governed_assistant.local.guardrail import SUPPORTED_PII, unsupported_pii
from governed_assistant.local.stack import (
    DemoIdentity,
    LocalStack,
    approval_example,
    demo_identities,
    token_example_roles,
)
from governed_assistant.wire import CONSOLE_ROUTES, LOCAL_ROUTES, ROUTE_OPENAPI, ROUTES

# The tenant every demo command speaks for (demo_identities' first users are its).
DEMO_TENANT = "acme"


def banner(stack: LocalStack, live: Sequence[str] = ()) -> str:
    lines = [
        f"{stack.spec.name}: running offline",
        f"  API            {stack.api_url}   ({', '.join(ROUTES)}; "
        f"without a token: {', '.join((*CONSOLE_ROUTES, *LOCAL_ROUTES))})",
        f"  OpenAPI        {stack.api_url}{ROUTE_OPENAPI.split(' ', 1)[1]}   (every route: auth, bodies, "
        "answers, errors; the project's openapi.json)",
        f"  console        {stack.console_url}   (chat, follow a job, approve: sign in as a demo "
        "identity below, or paste a token)",
        f"  issuer / JWKS  {stack.issuer.issuer}/.well-known/jwks.json",
        f"  moto           {stack.moto_url}   (aws --endpoint-url {stack.moto_url} ...)",
        f"  bedrock        {stack.bedrock_url or 'AWS (--real-bedrock)'}",
        f"  flags          {stack.flags_file}   (edit it: handlers re-read it on change)",
        f"  live tenants   {_live(stack, live)}",
        f"  events         {stack.events_db}   (make trace reads them)",
    ]
    if stack.retrieval.note:
        lines.append(f"  retrieval      {stack.retrieval.note}")
    missing = unsupported_pii(stack.spec)
    if stack.bedrock is not None and missing:
        lines.append(
            f"  note: the local guardrail cannot detect {', '.join(missing)} "
            f"(it detects {', '.join(SUPPORTED_PII)})"
        )
    lines.append("")
    lines.append("Tokens (valid 12 h; more with make token, below):")
    for who, token in stack.demo_tokens():
        lines.append(f"  # {who.label}: user={who.user} tenant={who.tenant} roles={','.join(who.roles)}")
        lines.append(f"  export {token_variable(who)}={token}")
    example = approval_example(stack.spec)
    if example is not None:
        asks, approves = example.requester, example.approver
        lines.append(
            f'  # approval flow (README, "Approve an action, locally"): {asks.user} asks '
            f'"{example.message}", {approves.user} approves'
        )
        lines.append(
            f"  export TOKEN_REQUESTER=${token_variable(asks)} TOKEN_APPROVER=${token_variable(approves)}"
        )
    lines.append("")
    lines.append(f"Try, in another terminal in {stack.project_dir}, once the export lines above are pasted:")
    lines += [f"  {command}" for command in try_commands(stack)]
    lines.append("Stop with Ctrl-C.")
    return "\n".join(lines)


def try_commands(stack: LocalStack) -> list[str]:
    """The banner's commands, each with a ``# comment`` saying what it does."""
    asker = next(who for who in demo_identities(stack.spec) if who.tenant == DEMO_TENANT)
    roles = ",".join(token_example_roles(stack.spec))
    port = urlsplit(stack.api_url).port
    # `make token` signs for the API's port: a stack not on the default one must say which.
    port_option = "" if port == DEFAULT_API_PORT else f' ARGS="--port {port}"'
    commands = [
        f'curl -s -X POST {stack.api_url}/messages -H "Authorization: Bearer ${token_variable(asker)}" '
        '-H "Content-Type: application/json" -d \'{"message": "hello"}\'   # answers {"jobId": ..., '
        '"status": "accepted"}',
        "make trace JOB=<jobId>   # that job's decision chain (put in the jobId the answer gave)",
        f"make token TENANT={DEMO_TENANT} USER={asker.user} ROLES={roles}{port_option}   "
        "# another token (any roles of assistant.yaml, comma-separated)",
    ]
    if stack.retrieval.owner_dsn is not None:
        commands.append(
            f"{_python(stack.project_dir)} -m governed_assistant.runtime.retrieval.ingest "
            f'--dsn "{stack.retrieval.owner_dsn}" --tenant {DEMO_TENANT} <folder>   '
            f"# index the .md, .txt and .rst files in <folder> as {DEMO_TENANT}'s documents"
        )
    return commands


def _python(project_dir: Path) -> str:
    """This Python (the project's .venv, which has the package) as typed in the project directory:
    relative when inside it. A bare ``python`` would be whatever the shell finds first."""
    # Not resolved: a venv's python is a symlink to the base interpreter, which lacks the package.
    executable = Path(os.path.abspath(sys.executable))
    try:
        return str(executable.relative_to(os.path.abspath(project_dir)))
    except ValueError:
        return str(executable)


def _live(stack: LocalStack, live: Sequence[str]) -> str:
    """Which tenants' actions run (the others are decided and recorded in shadow mode, never run)."""
    if live:
        return f"{', '.join(live)} (the others as assistant.yaml's rollout says)"
    if stack.spec.rollout.shadow_mode:
        return "none: assistant.yaml starts every tenant in shadow mode (--live TENANT lifts it)"
    return "every tenant (assistant.yaml's rollout.shadow_mode is false)"


def token_variable(who: DemoIdentity) -> str:
    """The shell variable the banner exports ``who``'s token in: ``TOKEN_ACME_ALICE``."""
    return f"TOKEN_{who.tenant}_{who.user}".upper()
