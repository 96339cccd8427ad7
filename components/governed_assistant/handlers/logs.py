"""The handlers' one Powertools Logger (named after ``POWERTOOLS_SERVICE_NAME``), JSON on stdout."""

from __future__ import annotations

from aws_lambda_powertools import Logger

LOGGER = Logger()
