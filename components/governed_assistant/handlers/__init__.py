"""The Lambda entry points: ``governed_assistant.handlers.<module>.handler``, one module per function.

- ``api``: the conversation API (HTTP API payload format 2.0);
- ``reason``: retrieval and Converse - the model proposes or answers;
- ``gate``, ``approval``, ``execute``, ``compensate``, ``guardrail_output``, ``respond``: the job
  state machine's tasks (``governed_assistant.infra.asl`` is their contract);
- ``insight``: Pattern C's trigger, an insight on the bus becomes a job.

Each handler is thin: it reads its payload strictly and wires the runtime library
(``governed_assistant.runtime``) through ``environment.current()``, which builds every part once per
process from ``GOVERNED_*`` variables. Tests and the local stack ``environment.configure(...)``
their own parts. Modules are imported by name, never from here, so a function loads only its own.
"""

from __future__ import annotations

HANDLER_MODULES = (
    "api", "reason", "gate", "approval", "execute", "compensate", "guardrail_output", "respond", "insight",
)  # fmt: skip

__all__ = ["HANDLER_MODULES"]
