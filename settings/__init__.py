"""The stack's settings: every config key declared once, in one pydantic model per tier, validated at once.

``load()`` reads this stack's config through the Pulumi SDK and returns frozen ``Settings``, or raises one
``ConfigError`` (a ``pulumi.RunError``: the CLI prints it without a stack trace) that lists every problem as
``streaming:key: got X; allowed: Y``. It runs every tier's checks, the checks that span tiers, and every
component's own ``validate_args`` before the program registers anything. ``parse()`` is the pure core.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from settings import app, common, data, edge, media, network, observability
from settings._base import PROJECT, ConfigError, ConfigKey, Reader, TierModel, declared_keys
from settings.app import AppSettings
from settings.aws_values import is_region
from settings.common import CommonSettings, Environment
from settings.data import DataSettings
from settings.edge import EdgeSettings
from settings.media import MediaSettings
from settings.network import NetworkSettings
from settings.observability import ObservabilitySettings, thresholds
from settings.preflight import component_problems

__all__ = [
    "KEYS",
    "MODELS",
    "PROJECT",
    "AppSettings",
    "ConfigError",
    "ConfigKey",
    "DataSettings",
    "EdgeSettings",
    "Environment",
    "MediaSettings",
    "NetworkSettings",
    "ObservabilitySettings",
    "Settings",
    "load",
    "parse",
]

# Order of Pulumi.yaml's config block and the README's reference.
MODELS: tuple[type[TierModel], ...] = (
    CommonSettings,
    NetworkSettings,
    AppSettings,
    DataSettings,
    EdgeSettings,
    MediaSettings,
    ObservabilitySettings,
)
KEYS: tuple[ConfigKey, ...] = declared_keys(MODELS)
KEYS_BY_NAME = {k.name: k for k in KEYS}


@dataclass(frozen=True)
class Settings:
    """Everything the program needs from the stack config, validated."""

    stack: str
    region: str
    environment: Environment
    domain_name: str
    availability_zones: tuple[str, ...]
    network: NetworkSettings
    app: AppSettings
    data: DataSettings
    media: MediaSettings
    edge: EdgeSettings
    observability: Any  # ObservabilitySettings (a model built from the threshold table)
    tags: Mapping[str, str] = field(default_factory=dict)
    zone_names: Mapping[str, str] = field(default_factory=dict)
    """Zone ID -> AZ name of ``availability_zones`` (what zone-ID keys such as dbReadReplicaZoneIds resolve to)."""
    warnings: tuple[str, ...] = ()
    """Config that is valid but needs attention (an unpinned or unavailable AZ); ``load()`` logs each."""

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    @property
    def thresholds(self) -> Any:
        return thresholds(self.observability)

    @functools.cached_property
    def key_of_field(self) -> dict[str, str]:
        """Config key by settings field name (the names of the component Args fields they feed)."""
        return {k.field: k.name for k in KEYS}


def unknown_key_problems(raw: Mapping[str, str]) -> list[str]:
    problems = []
    for full in raw:
        namespace, _, name = full.partition(":")
        if namespace != PROJECT or name in KEYS_BY_NAME:
            continue
        close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1, cutoff=0.6)
        if not close:  # case slips (edgeWafAnonymousIPList) score low on the raw ratio
            lower = {k.lower(): k for k in KEYS_BY_NAME}
            close = [lower[m] for m in difflib.get_close_matches(name.lower(), lower, n=1, cutoff=0.6)]
        hint = f"did you mean {PROJECT}:{close[0]}?" if close else "no key of this project is close"
        problems.append(f"{full}: got an unknown key; allowed: a key Pulumi.yaml declares ({hint})")
    return problems


def parse(
    raw: Mapping[str, str],
    *,
    stack: str,
    region_azs: Mapping[str, str] | Sequence[str],
    available: Collection[str] | None = None,
) -> Settings:
    """Validate raw config (``project:key`` -> string) into Settings, or raise ConfigError with every problem.

    ``region_azs``: the region's AZs in the order it lists them, name -> zone ID (a plain sequence of names when
    the zone IDs are not known: then no zone can be pinned). ``available``: the names in state ``available`` now;
    default: all of them."""
    zone_ids: dict[str, str] = (
        dict(region_azs) if isinstance(region_azs, Mapping) else {name: "" for name in region_azs}
    )
    names = list(zone_ids)
    r = Reader(raw, KEYS)
    problems = unknown_key_problems(raw)
    region = raw.get("aws:region")
    if not region or not is_region(region):
        r.problem(
            "aws:region", region, "an AWS region name, for example us-west-2 (one that botocore's endpoint data lists)"
        )
    values = {model: r.values_of(model) for model in MODELS}  # every key, each on its own
    env = r.value("environment")
    prod = env is Environment.PROD
    az_count = r.value("azCount") if r.ok("azCount") else None
    common.check(r, stack)
    network.check(r, names, region)
    azs, warnings = network.availability_zones(
        r, zone_ids, set(zone_ids) if available is None else set(available), region, prod
    )
    zone_names = {zone_ids[n]: n for n in azs}
    data.check_replica_zones(r, zone_names)
    if az_count is not None and az_count > len(names):
        az_count = None
    app.check(r, prod, az_count)
    data.check(r, region, prod, az_count)
    media.check(r, region)
    edge.check(r)
    observability.check(r, prod)
    if prod:
        if az_count is not None:
            r.check("azCount", az_count, lambda v: v >= 3, "at least 3 when environment is prod")
        r.check(
            "natGatewayStrategy",
            r.value("natGatewayStrategy"),
            lambda v: v is network.NatGatewayStrategy.ONE_PER_AZ,
            "ONE_PER_AZ when environment is prod (one NAT gateway per AZ)",
        )
    problems += r.problems
    if problems:
        raise ConfigError(stack, problems)
    models = {model: model.model_validate(vals) for model, vals in values.items()}
    base = models[CommonSettings]
    assert isinstance(base, CommonSettings) and region is not None
    settings = Settings(
        stack=stack,
        region=region,
        environment=base.environment,
        domain_name=base.domain_name.rstrip("."),
        availability_zones=azs,
        network=models[NetworkSettings],  # type: ignore[arg-type]
        app=models[AppSettings],  # type: ignore[arg-type]
        data=models[DataSettings],  # type: ignore[arg-type]
        media=models[MediaSettings],  # type: ignore[arg-type]
        edge=models[EdgeSettings],  # type: ignore[arg-type]
        observability=models[ObservabilitySettings],
        tags={"Project": PROJECT, "Environment": base.environment.value, "Stack": stack},
        zone_names=zone_names,
        warnings=warnings,
    )
    late = component_problems(settings, names)
    if late:
        raise ConfigError(stack, late)
    return settings


def load() -> Settings:
    """Read this stack's config through the SDK and validate it; the only place the program reads config.

    Every key set in the project's namespace is read, declared or not, so unknown ones are reported. A key
    declared secret is validated from its plain value (``Config.get_secret`` is ``Output.secret(get(key))``) and
    reaches its component as a secret Output; its value never appears in an error message.
    """
    import pulumi_aws as aws

    project_config = pulumi.Config(PROJECT)
    raw = {full: v for full in _set_keys() if (v := project_config.get(full.partition(":")[2])) is not None}
    region = pulumi.Config("aws").get("region")
    if region:
        raw["aws:region"] = region
    zone_ids: dict[str, str] = {}
    available: Sequence[str] = []
    if region and is_region(region):
        # Every AZ of the region whatever its state (a pinned zone that is impaired keeps its place), then the ones
        # available now (DescribeAvailabilityZones: the state filter; the data source returns no per-zone state).
        in_region: list[aws.GetAvailabilityZonesFilterArgsDict] = [
            {"name": "opt-in-status", "values": ["opt-in-not-required"]}
        ]
        every = aws.get_availability_zones(all_availability_zones=False, filters=in_region)
        zone_ids = dict(zip(every.names, every.zone_ids, strict=True))
        available = aws.get_availability_zones(state="available", filters=in_region).names
    settings = parse(raw, stack=pulumi.get_stack(), region_azs=zone_ids, available=available)
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    return settings


def _set_keys() -> list[str]:
    """Every ``streaming:*`` key this stack sets, declared or not (the engine passes them all to the program)."""
    from pulumi.runtime import config as runtime_config

    keys = {k for k in runtime_config.CONFIG.get() if k.startswith(PROJECT + ":")}
    return sorted(keys | {k.full_name for k in KEYS})
