# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Governance components shared by every governed assistant (managed by the template).

Packages:
    spec      the assistant spec (``assistant.yaml``): model, loader, migrations
    scaffold  creates the user-owned files the spec calls for (actions, policies, stacks)
    infra     Pulumi ComponentResources for the three layers, observability and rollout
"""
