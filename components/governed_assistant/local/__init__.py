"""The offline stack: the same handlers and the same state machine, without AWS.

``python -m governed_assistant.local dev`` (``make dev``) runs, on loopback: moto's server with the
stack's tables, topic, bus and the job state machine executing its real ASL; the Lambda
Invoke endpoint running the project's handlers in-process; a local ``bedrock-runtime`` (a
scripted, Converse-shaped model and a guardrail built from the spec); and the HTTP API, which
verifies dev-issuer JWTs as API Gateway's authorizer would. ``token`` and ``trace`` print a
development token and a job's decision chain.

From Python (the demo, end-to-end tests)::

    with LocalStack.start(project_dir, port=0) as stack:
        stack.api_url, stack.token("acme", "alice", ["agent"]), stack.trace(job_id)

Modules: ``stack`` (lifecycle), ``servers`` (binding, threads), ``moto_server`` and ``resources``
(moto and what it holds), ``bridge`` (EventBridge targets moto cannot reach), ``lambda_endpoint``
and ``handlers``, ``api_gateway`` and ``api_server``, ``model_script``, ``guardrail`` and
``bedrock_endpoint``, ``issuer``, ``environment``, ``cli`` and ``banner``; ``samples`` holds demo
executors.
"""

from __future__ import annotations

from governed_assistant.local.exceptions import (
    HandlerImportError,
    LocalStackError,
    ModelScriptError,
    PortInUseError,
)
from governed_assistant.local.issuer import DevIssuer
from governed_assistant.local.stack import DemoIdentity, LocalStack, demo_identities

__all__ = [
    "DemoIdentity",
    "DevIssuer",
    "HandlerImportError",
    "LocalStack",
    "LocalStackError",
    "ModelScriptError",
    "PortInUseError",
    "demo_identities",
]
