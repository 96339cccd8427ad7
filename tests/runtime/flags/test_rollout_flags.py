"""Rollout flags: built from the spec, read from a file that may change, evaluated per tenant, fail closed."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_lambda_powertools.utilities.feature_flags import SchemaValidator
from botocore.response import StreamingBody
from botocore.stub import Stubber
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.flags import (
    CANARY,
    CIRCUIT_BREAKER,
    KILL_SWITCH,
    VARIANTS,
    FileFlagsStore,
    FixedFlagsStore,
    FlagsConfigError,
    FlagsDocumentError,
    RolloutFlags,
    Variant,
    build_flags_document,
    write_flags_file,
)
from governed_assistant.runtime.flags.stores import file as file_store
from governed_assistant.runtime.model import CircuitBreakerSettings
from governed_assistant.spec import AssistantSpec
from governed_assistant.spec.model import Rollout

CANARY_MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0"


def _tenant(tenant_id: str) -> TenantContext:
    return TenantContext(tenant_id=tenant_id, user_id="alice", roles=("agent",), request_id="req-1")


def _spec(spec: AssistantSpec, *, shadow: bool = True, percent: int = 10) -> AssistantSpec:
    return spec.model_copy(update={"rollout": Rollout(shadow_mode=shadow, canary_percent=percent)})


def _flags(document: dict[str, Any], spec: AssistantSpec) -> RolloutFlags:
    return RolloutFlags(FixedFlagsStore(document), fallback_variant=Variant.stable(spec))


@pytest.mark.parametrize(
    ("shadow", "percent"),
    [
        pytest.param(True, 0, id="shadow-no-canary"),
        pytest.param(False, 10, id="live-ten-percent"),
        pytest.param(True, 100, id="shadow-all-canary"),
    ],
)
def test_build_flags_document_spec_passes_powertools_schema_validator(
    spec: AssistantSpec, shadow: bool, percent: int
) -> None:
    """The document built from the spec passes Powertools' own SchemaValidator, as AppConfig will serve it."""
    document = build_flags_document(
        _spec(spec, shadow=shadow, percent=percent), live_tenants=["acme"], canary_tenants=["globex"]
    )

    SchemaValidator(document).validate()
    assert document["shadow_mode"]["default"] is shadow
    assert json.loads(json.dumps(document)) == document


def test_file_store_changed_file_is_reread(tmp_path: Path, spec: AssistantSpec) -> None:
    """Replacing the flags file takes effect on the next evaluation, without a new store."""
    path = tmp_path / "flags.json"
    document = build_flags_document(spec)
    write_flags_file(path, document)
    flags = RolloutFlags(FileFlagsStore(path), fallback_variant=Variant.stable(spec))
    assert not flags.for_tenant(_tenant("acme")).kill_switch

    write_flags_file(path, {**document, KILL_SWITCH: {"default": True}})

    assert flags.for_tenant(_tenant("acme")).kill_switch


def test_file_store_unchanged_file_is_not_parsed_again(
    tmp_path: Path, spec: AssistantSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged file is parsed once; touching its mtime makes the store parse it again."""
    path = write_flags_file(tmp_path / "flags.json", build_flags_document(spec))
    parsed: list[Path] = []
    real_parse = file_store._parse
    monkeypatch.setattr(file_store, "_parse", lambda p: parsed.append(p) or real_parse(p))
    store = FileFlagsStore(path)

    store.get_configuration()
    store.get_configuration()
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    store.get_configuration()

    assert parsed == [path, path]


@pytest.mark.parametrize(
    ("default", "overrides", "expected"),
    [
        pytest.param(
            True, {"live_tenants": ["acme"]}, {"acme": False, "globex": True}, id="shadow-by-default"
        ),
        pytest.param(
            False, {"shadow_tenants": ["acme"]}, {"acme": True, "globex": False}, id="live-by-default"
        ),
    ],
)
def test_for_tenant_shadow_overrides_apply_per_tenant(
    spec: AssistantSpec, default: bool, overrides: dict[str, list[str]], expected: dict[str, bool]
) -> None:
    """Shadow mode follows the spec's default, except for the tenants a rule names."""
    flags = _flags(build_flags_document(_spec(spec, shadow=default), **overrides), spec)

    assert {tenant: flags.for_tenant(_tenant(tenant)).shadow for tenant in expected} == expected


def test_for_tenant_kill_switch_on_applies_to_every_tenant(spec: AssistantSpec) -> None:
    """Turning the kill switch on denies every tenant, whatever its other flags say."""
    document = build_flags_document(_spec(spec, shadow=False), shadow_tenants=["acme"])
    document[KILL_SWITCH] = {"default": True}
    flags = _flags(document, spec)

    snapshots = [flags.for_tenant(_tenant(tenant)) for tenant in ("acme", "globex", "initech")]

    assert all(snapshot.kill_switch and not snapshot.failed_closed for snapshot in snapshots)


def test_for_tenant_canary_split_is_stable_and_near_percent(spec: AssistantSpec) -> None:
    """Over 1000 tenants about canary_percent get the canary, and each tenant always gets the same variant."""
    document = build_flags_document(_spec(spec, percent=10), canary_model_id=CANARY_MODEL)
    tenants = [f"tenant-{n:04d}" for n in range(1000)]

    first = {t: _flags(document, spec).for_tenant(_tenant(t)).variant for t in tenants}
    again = {t: _flags(document, spec).for_tenant(_tenant(t)).variant for t in tenants}

    canaries = [t for t, variant in first.items() if variant.name == "canary"]
    assert first == again
    assert 70 <= len(canaries) <= 130
    assert {first[t].model_id for t in canaries} == {CANARY_MODEL}
    assert {v.model_id for t, v in first.items() if t not in canaries} == {spec.model_id}


@pytest.mark.parametrize(
    ("percent", "expected"),
    [pytest.param(0, "stable", id="zero-percent"), pytest.param(100, "canary", id="hundred-percent")],
)
def test_for_tenant_canary_extremes_give_every_tenant_one_variant(
    spec: AssistantSpec, percent: int, expected: str
) -> None:
    """0 percent keeps every tenant on stable (unless named), 100 percent moves every tenant to the canary."""
    flags = _flags(build_flags_document(_spec(spec, percent=percent), canary_tenants=["named"]), spec)

    assert {flags.for_tenant(_tenant(f"t{n}")).variant.name for n in range(200)} == {expected}
    assert flags.for_tenant(_tenant("named")).variant.name == "canary"


def test_for_tenant_breaker_settings_come_from_flags(spec: AssistantSpec) -> None:
    """The breaker settings in the document reach the snapshot, for the model client to apply."""
    settings = CircuitBreakerSettings(failure_threshold=2, window_seconds=10.0, cooldown_seconds=5.0)

    snapshot = _flags(build_flags_document(spec, breaker=settings), spec).for_tenant(_tenant("acme"))

    assert snapshot.breaker == settings


def _break(document: dict[str, Any], feature: str, value: Any) -> str:
    return json.dumps({**document, feature: value})


NO_VARIANTS = {"default": {}, "boolean_type": False}
ZERO_THRESHOLD = {
    "default": {"failure_threshold": 0, "window_seconds": 1, "cooldown_seconds": 1},
    "boolean_type": False,
}
MALFORMED = [
    pytest.param(lambda d: "{not json", "not valid JSON", id="not-json"),
    pytest.param(lambda d: "[]", "must hold a JSON object", id="not-an-object"),
    pytest.param(lambda d: _break(d, KILL_SWITCH, {"default": "yes"}), "feature=kill_switch", id="schema"),
    pytest.param(lambda d: json.dumps({KILL_SWITCH: d[KILL_SWITCH]}), "missing=", id="missing-features"),
    pytest.param(
        lambda d: _break(d, CANARY, {**d[CANARY], "default": "beta"}), "variant='beta'", id="unknown-variant"
    ),
    pytest.param(lambda d: _break(d, VARIANTS, NO_VARIANTS), "feature=variants", id="no-variants"),
    pytest.param(
        lambda d: _break(d, CIRCUIT_BREAKER, ZERO_THRESHOLD), "failure_threshold=0", id="bad-breaker"
    ),
]


@pytest.mark.parametrize(("corrupt", "message"), MALFORMED)
def test_for_tenant_malformed_file_fails_closed_with_clear_error(
    tmp_path: Path, spec: AssistantSpec, corrupt: Any, message: str
) -> None:
    """A malformed flags file turns the kill switch and shadow mode on, and says what is wrong."""
    path = tmp_path / "flags.json"
    path.write_text(corrupt(build_flags_document(_spec(spec, shadow=False))))
    flags = RolloutFlags(FileFlagsStore(path), fallback_variant=Variant.stable(spec))

    snapshot = flags.for_tenant(_tenant("acme"))
    with pytest.raises(FlagsDocumentError) as raised:
        flags.document()

    assert (snapshot.kill_switch, snapshot.shadow, snapshot.failed_closed) == (True, True, True)
    assert snapshot.variant == Variant.stable(spec)
    assert message in str(raised.value)
    assert snapshot.problem == str(raised.value)


def test_for_tenant_missing_file_fails_closed_naming_path(tmp_path: Path, spec: AssistantSpec) -> None:
    """A flags file that does not exist fails closed, and the problem names the path."""
    path = tmp_path / "absent.json"

    snapshot = RolloutFlags(FileFlagsStore(path), fallback_variant=Variant.stable(spec)).for_tenant(
        _tenant("acme")
    )

    assert snapshot.kill_switch and snapshot.shadow
    assert f"path={path}" in (snapshot.problem or "")


def test_from_environment_flags_file_variable_selects_file_store(
    tmp_path: Path, spec: AssistantSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GOVERNED_FLAGS_FILE selects the local file store."""
    path = write_flags_file(tmp_path / "flags.json", build_flags_document(spec))
    monkeypatch.setenv("GOVERNED_FLAGS_FILE", str(path))

    flags = RolloutFlags.from_environment(spec)

    assert isinstance(flags.store, FileFlagsStore)
    assert flags.store.path == path


def test_from_environment_nothing_configured_raises_config_error(
    spec: AssistantSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With neither a flags file nor an AppConfig profile the error names the variables to set."""
    for name in ("FLAGS_FILE", "APPCONFIG_APPLICATION", "APPCONFIG_ENVIRONMENT", "APPCONFIG_PROFILE"):
        monkeypatch.delenv(f"GOVERNED_{name}", raising=False)

    with pytest.raises(FlagsConfigError, match="GOVERNED_FLAGS_FILE"):
        RolloutFlags.from_environment(spec)


def test_build_flags_document_tenant_both_shadowed_and_live_is_refused(spec: AssistantSpec) -> None:
    """A tenant listed as both shadowed and live is a contradiction the builder refuses."""
    with pytest.raises(FlagsDocumentError, match="acme"):
        build_flags_document(spec, shadow_tenants=["acme"], live_tenants=["acme"])


def test_from_environment_appconfig_evaluates_like_the_file(
    tmp_path: Path, spec: AssistantSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same document served by AppConfig (Powertools' AppConfigStore) gives the same snapshot."""
    document = build_flags_document(_spec(spec, shadow=True), live_tenants=["acme"])
    appconfig = botocore.session.get_session().create_client(
        "appconfigdata",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - a dummy credential; nothing leaves the process
    )
    body = json.dumps(document).encode()
    with Stubber(appconfig) as stubber:
        stubber.add_response(
            "start_configuration_session",
            {"InitialConfigurationToken": "token-1"},
            {
                "ApplicationIdentifier": "assistant",
                "EnvironmentIdentifier": "dev",
                "ConfigurationProfileIdentifier": "flags",
            },
        )
        stubber.add_response(
            "get_latest_configuration",
            {
                "NextPollConfigurationToken": "token-2",
                "ContentType": "application/json",
                "Configuration": StreamingBody(io.BytesIO(body), len(body)),
            },
            {"ConfigurationToken": "token-1"},
        )
        from_appconfig = RolloutFlags.from_environment(
            spec, application="assistant", environment="dev", profile="flags", appconfig_client=appconfig
        ).for_tenant(_tenant("acme"))
    monkeypatch.setenv("GOVERNED_FLAGS_FILE", str(write_flags_file(tmp_path / "flags.json", document)))

    assert from_appconfig == RolloutFlags.from_environment(spec).for_tenant(_tenant("acme"))
    assert not from_appconfig.shadow and not from_appconfig.failed_closed
