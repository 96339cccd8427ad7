"""Creates the user-owned files the spec calls for, and never touches one that exists.

For each action: ``actions/<name>.py`` and ``tests/actions/test_<name>.py``; for each
role: ``policies/<role>.cedar``; for each stack: ``Pulumi.<stack>.yaml``. Copier runs
this after ``copy`` and ``update``; ``make scaffold`` runs it after you edit the spec.
"""

from __future__ import annotations

from governed_assistant.scaffold.planner import PlannedFile, plan_files, policy_hints, scaffold

__all__ = ["PlannedFile", "plan_files", "policy_hints", "scaffold"]
