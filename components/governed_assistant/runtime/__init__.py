"""The governance runtime the Lambda handlers use: identity, gate, approval, jobs, telemetry.

Each concern is a subpackage with the same shape (``__init__`` re-exports, ``exceptions``,
swappable stores passed in), so tests and the local stack swap AWS for local parts.
"""
