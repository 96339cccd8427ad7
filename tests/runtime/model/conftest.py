"""Fixtures for the model tests: a real bedrock-runtime client under a Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber


@pytest.fixture
def bedrock() -> Any:
    """A real botocore bedrock-runtime client: the Stubber checks calls against its service model."""
    session = botocore.session.get_session()
    return session.create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - a dummy credential; nothing leaves the process
    )


@pytest.fixture
def stubber(bedrock: Any) -> Iterator[Stubber]:
    with Stubber(bedrock) as stub:
        yield stub
        stub.assert_no_pending_responses()
