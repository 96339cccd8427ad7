# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The offline stack: the same handlers and the same state machine, without AWS.

``lambda_endpoint`` answers the Lambda Invoke API on loopback, so moto's Step Functions
interpreter (and anything else holding ``AWS_ENDPOINT_URL_LAMBDA``) runs the project's real
handlers in-process.
"""
