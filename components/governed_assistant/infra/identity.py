"""The Cognito user pool the conversation layer's JWT authorizer trusts (``identity.provider: cognito``).

The tenant is a custom attribute (``custom:tenantId`` by default) that the app client may read
but never write: only administrators (``AdminCreateUser``, ``AdminUpdateUserAttributes``) set
it, and nobody signs themselves up. Roles are the pool's groups, one per spec role, which
Cognito puts in the ``cognito:groups`` claim. The API verifies ID tokens, which carry both.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.functions import physical_name
from governed_assistant.infra.storage import data_options
from governed_assistant.spec.model import COGNITO_ROLES_CLAIM, COGNITO_TENANT_PREFIX, AssistantSpec


class IdentityError(GovernanceError):
    """When the spec's claims cannot come from a Cognito user pool."""


def create_user_pool(
    name: str, spec: AssistantSpec, *, protect: bool, tags: Mapping[str, str], parent: pulumi.Resource
) -> tuple[aws.cognito.UserPool, aws.cognito.UserPoolClient]:
    """The user pool (``name``), one group per spec role, and the public app client the API trusts."""
    claims = spec.identity.claims
    # The spec refuses these claims with cognito (model.cross_field_problems); this guards a spec
    # built without that check.
    if not claims.tenant.startswith(COGNITO_TENANT_PREFIX) or claims.roles != COGNITO_ROLES_CLAIM:
        raise IdentityError(
            f"with identity.provider cognito the tenant claim must be a custom attribute and the roles "
            f"claim {COGNITO_ROLES_CLAIM!r}, tenant={claims.tenant!r}, roles={claims.roles!r}; "
            f"set identity.claims to tenant: custom:tenantId, roles: {COGNITO_ROLES_CLAIM}"
        )
    tenant_attribute = claims.tenant.removeprefix(COGNITO_TENANT_PREFIX)
    child = pulumi.ResourceOptions(parent=parent)
    stack = pulumi.get_stack()
    pool = aws.cognito.UserPool(
        name,
        name=physical_name(spec.slug, stack, "users", limit=128),
        # Tenants are assigned by administrators, never chosen at sign-up.
        admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
            allow_admin_create_user_only=True
        ),
        username_attributes=["email"],
        auto_verified_attributes=["email"],
        account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
            recovery_mechanisms=[
                aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                    name="verified_email", priority=1
                )
            ]
        ),
        password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
            minimum_length=12,
            require_lowercase=True,
            require_uppercase=True,
            require_numbers=True,
            require_symbols=True,
            temporary_password_validity_days=3,
        ),
        mfa_configuration="OPTIONAL",
        software_token_mfa_configuration=aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True),
        schemas=[
            aws.cognito.UserPoolSchemaArgs(
                name=tenant_attribute,
                attribute_data_type="String",
                mutable=True,
                developer_only_attribute=False,
                string_attribute_constraints=aws.cognito.UserPoolSchemaStringAttributeConstraintsArgs(
                    min_length="1", max_length="64"
                ),
            )
        ],
        deletion_protection="ACTIVE" if protect else "INACTIVE",
        tags=tags,
        opts=data_options(parent, protect=protect),
    )
    for role, description in spec.roles.items():
        aws.cognito.UserGroup(
            f"{name}-group-{role}",
            user_pool_id=pool.id,
            name=role,
            description=description[:2048],
            opts=child,
        )
    client = aws.cognito.UserPoolClient(
        f"{name}-client",
        name=physical_name(spec.slug, stack, "app", limit=128),
        user_pool_id=pool.id,
        # A public client (browser or mobile app): no secret, SRP sign-in, revocable refresh tokens.
        generate_secret=False,
        explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        prevent_user_existence_errors="ENABLED",
        enable_token_revocation=True,
        # The API verifies ID tokens: they carry the tenant attribute and the groups.
        id_token_validity=60,
        access_token_validity=60,
        refresh_token_validity=12,
        token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
            id_token="minutes",  # noqa: S106 - a unit, not a token
            access_token="minutes",  # noqa: S106 - a unit, not a token
            refresh_token="hours",  # noqa: S106 - a unit, not a token
        ),
        read_attributes=["email", "email_verified", claims.tenant],
        # The tenant is readable, never writable by the user: only administrators set it.
        write_attributes=["email"],
        opts=child,
    )
    return pool, client
