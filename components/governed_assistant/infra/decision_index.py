"""The documents the decision-event index lives by: its template, its lifecycle, its writer role.

Plain data. The setup function (``governed_assistant.handlers.observability_setup``) applies
them to the OpenSearch domain on every deploy that changes them (``search_domain``); Firehose's
IAM role is mapped to the writer role, which may write decision events and nothing else.
"""

from __future__ import annotations

from typing import Any, Final

INDEX_PREFIX: Final = "decision-events"
INDEX_PATTERN: Final = f"{INDEX_PREFIX}-*"
ISM_POLICY_ID: Final = "decision-events-lifecycle"
WRITER_ROLE: Final = "decision_events_writer"


def decision_index_template(replicas: int) -> dict[str, Any]:
    """The composable index template for the daily ``decision-events-YYYY-MM-DD`` indices.

    Field names follow ``DecisionEvent``'s wire form: camelCase, and OpenTelemetry GenAI names
    (``gen_ai.request.model``...), which OpenSearch stores as object paths.
    """
    keyword = {"type": "keyword"}
    return {
        "index_patterns": [INDEX_PATTERN],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": replicas},
            "mappings": {
                # Unknown fields are kept in _source but not indexed: a new field never fails delivery.
                "dynamic": False,
                "properties": {
                    "eventId": keyword,
                    "schemaVersion": {"type": "integer"},
                    "jobId": keyword,
                    "tenantId": keyword,
                    "userId": keyword,
                    "stage": keyword,
                    "outcome": keyword,
                    "latencyMs": {"type": "float"},
                    "gen_ai": {
                        "properties": {
                            "request": {"properties": {"model": keyword}},
                            "usage": {
                                "properties": {
                                    "input_tokens": {"type": "long"},
                                    "output_tokens": {"type": "long"},
                                }
                            },
                        }
                    },
                    # Free-form per stage; flat_object indexes its leaves without a mapping explosion.
                    "details": {"type": "flat_object"},
                    "timestamp": {"type": "date"},
                },
            },
        },
    }


def ism_policy(retention_days: int) -> dict[str, Any]:
    """The Index State Management policy: hot, then deleted once ``retention_days`` old."""
    return {
        "policy": {
            "description": f"Decision events: hot, deleted after {retention_days} days.",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [INDEX_PATTERN], "priority": 100}],
        }
    }


def writer_role() -> dict[str, Any]:
    """The OpenSearch security role Firehose's IAM role is mapped to: write decision events, nothing else."""
    return {
        "cluster_permissions": ["cluster_composite_ops", "cluster_monitor"],
        "index_permissions": [
            {"index_patterns": [INDEX_PATTERN], "allowed_actions": ["create_index", "manage", "crud"]}
        ],
    }
