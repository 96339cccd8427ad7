"""The identity runtime's fixed limits and defaults, in one place."""

from __future__ import annotations

import re
from typing import Final

# Tenant ids end up in storage keys, index names and log fields: keep them to a safe alphabet.
# Apply both patterns with ``fullmatch``: with ``match``, ``$`` also matches before a final newline.
TENANT_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$")
# What a role may be called, in assistant.yaml and in a token's roles claim alike: a group whose
# name is not a role name (a space, a comma, a bracket) can never be read as one or several roles.
ROLE_NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
MAX_USER_ID_CHARS: Final = 256

# Asymmetric algorithms only: Cognito signs with RS256, many OIDC providers offer ES256. Never HS*
# (a shared secret, and the door to algorithm confusion) and never "none".
ALLOWED_ALGORITHMS: Final[tuple[str, ...]] = ("RS256", "ES256")

# Clock skew tolerated on exp, nbf and iat. Small on purpose: a stolen token lives no longer.
DEFAULT_LEEWAY_SECONDS: Final = 10.0
MAX_LEEWAY_SECONDS: Final = 120.0

# Identity providers rotate signing keys rarely and publish the new key before using it.
DEFAULT_JWKS_TTL_SECONDS: Final = 600.0
# At most one fetch per interval on an unknown kid, so made-up kids cannot cause a fetch storm.
DEFAULT_REFETCH_INTERVAL_SECONDS: Final = 60.0
# After a failed fetch, wait this long before trying again.
DEFAULT_RETRY_AFTER_FAILURE_SECONDS: Final = 5.0
DEFAULT_FETCH_TIMEOUT_SECONDS: Final = 5.0
MAX_JWKS_BYTES: Final = 512 * 1024

# API Gateway refuses headers past 10 KiB; anything longer is not a token we issued.
MAX_TOKEN_CHARS: Final = 16 * 1024
JWKS_WELL_KNOWN_PATH: Final = "/.well-known/jwks.json"
