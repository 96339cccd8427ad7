"""Time the gate per proposal (p50/p99) with a 10-rule Cedar policy set; prints the figures.

Usage: .venv/bin/python bench/gate.py [--proposals N]
Each sample is one full ``evaluate`` (schema validation, tenant match, in-memory owner lookup,
Cedar with 10 user rules plus the tenant guard, risk) on a mix of allowed, approval and denied
proposals, after a warm-up. Target: p99 < 1 ms. Both wall-clock and thread CPU time are
printed: on a shared machine the wall-clock tail is the scheduler's (preemption by other
processes), the CPU time is the gate's own cost; the exit status judges the CPU p99.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.contracts import ActionProposal, TenantContext
from governed_assistant.runtime.gate import CedarAuthorizer, GateFlags, InMemoryOwners, evaluate
from governed_assistant.spec import parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document

TARGET_P99_MS = 1.0
# Ten rules in the shape users write: per-role permits, a forbid, conditions on attributes.
TEN_RULES = """
@id("agent-tickets") permit (principal in Role::"agent",
  action in [Action::"update_ticket_status", Action::"draft_reply"], resource);
@id("agent-customers") permit (principal in Role::"agent", action == Action::"get_customer_config", resource);
@id("agent-refunds") permit (principal in Role::"agent", action == Action::"issue_refund", resource)
  when { resource.tenant == principal.tenant };
@id("supervisor-tickets") permit (principal in Role::"supervisor",
  action in [Action::"update_ticket_status", Action::"draft_reply"], resource);
@id("supervisor-customers") permit (principal in Role::"supervisor",
  action == Action::"get_customer_config", resource);
@id("supervisor-refunds") permit (principal in Role::"supervisor",
  action == Action::"issue_refund", resource);
@id("no-admin-refunds") forbid (principal in Role::"admin", action == Action::"issue_refund", resource);
@id("no-demo-tenant") forbid (principal, action, resource) when { principal.tenant == "demo" };
@id("no-frozen-tickets") forbid (principal, action == Action::"update_ticket_status", resource)
  when { resource.tenant == "frozen" };
@id("admin-read") permit (principal in Role::"admin", action == Action::"get_customer_config", resource);
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=20_000)
    args = parser.parse_args()
    spec = parse_spec(render_spec_yaml(preset_document("bounded-action")))
    authorizer = CedarAuthorizer(spec, TEN_RULES)
    owners = InMemoryOwners(
        {("ticket", "t-1"): "acme", ("invoice", "i-1"): "acme", ("ticket", "t-9"): "globex"}
    )
    context = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="bench")
    refund = {"amount": 25, "currency": "USD", "reason": "duplicate charge"}
    proposals = [
        ActionProposal(action_type="update_ticket_status", resource_id="t-1", tenant_id="acme",
                       parameters={"status": "solved", "note": "done"}),
        ActionProposal(action_type="issue_refund", resource_id="i-1", tenant_id="acme", parameters=refund),
        ActionProposal(action_type="update_ticket_status", resource_id="t-9", tenant_id="acme",
                       parameters={"status": "solved"}),
        ActionProposal(action_type="issue_refund", resource_id="i-1", tenant_id="globex",
                       parameters={**refund, "amount": "25"}),
    ]  # fmt: skip
    flags = GateFlags()

    def decide(proposal: ActionProposal) -> str:
        return evaluate(
            proposal, context, spec=spec, authorizer=authorizer, owner_lookup=owners, flags=flags
        ).outcome

    outcomes = [decide(proposal) for proposal in proposals]
    for index in range(1_000):  # warm-up: catalog built, caches hot
        decide(proposals[index % len(proposals)])
    wall, cpu = [], []
    for index in range(args.proposals):
        proposal = proposals[index % len(proposals)]
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        decide(proposal)
        cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - start) / 1e6)
    print(
        f"gate.evaluate, 10-rule policy set + tenant guard, {args.proposals} proposals "
        f"(mix: {', '.join(outcomes)}), target p99 < {TARGET_P99_MS} ms:"
    )
    for label, samples in (("wall", wall), ("cpu", cpu)):
        cuts = statistics.quantiles(samples, n=100)
        print(f"  {label:4} p50 {cuts[49]:.3f} ms   p99 {cuts[98]:.3f} ms   max {max(samples):.3f} ms")
    p99 = statistics.quantiles(cpu, n=100)[98]
    return 0 if p99 < TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
