"""AppTier through the component provider: the same AppTierArgs a Python program passes (nested option objects, enums,
maps), written as a program in another language writes them, with the zone as its outputs; Construct registers what
the Python path registers with the PublicZone object (the zone's own registrations aside)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.util import camel_case
from streaming_platform import AppTier, AppTierArgs, PublicZone, PublicZoneArgs
from streaming_platform.app.common import ComputeMode, DataAccess, LogSettings, ServiceSize
from streaming_platform.app.load_balancer import AccessLogs
from streaming_platform.app.service_options import ServicesOptions
from streaming_platform.app.tier import AppNetwork

from offline.engine import Recording, run_component
from offline.provider_engine import ProviderProcess, start_provider
from tests.test_provider import same_registrations
from tests.test_provider_edge import without_zone

TIER = "streaming:app:AppTier"
ZONE_ARGS = PublicZoneArgs(domain_name="video.example.com", hosted_zone_id="Z0123456789ABCDEFGHIJ")
ZONE_OUTPUTS = {"zoneId": ZONE_ARGS.hosted_zone_id, "domainName": ZONE_ARGS.domain_name, "delegation": "ADOPTED"}
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def tier_args(zone: Any, compute_mode: ComputeMode) -> AppTierArgs:
    return AppTierArgs(
        network=AppNetwork(
            vpc_id="vpc-0123456789abcdef0",
            public_subnet_ids=["subnet-public-a", "subnet-public-b"],
            app_subnet_ids=["subnet-app-a", "subnet-app-b"],
            availability_zones=["us-west-2a", "us-west-2b"],
        ),
        zone=zone,
        origin_verify_secret="origin-verify-secret",
        data=DataAccess(
            client_security_group_id="sg-0123456789abcdef0",
            video_table_arn="arn:aws:dynamodb:us-west-2:111122223333:table/videos",
            data_key_arn=KEY,
            environment={"VIDEO_TABLE": "videos"},
        ),
        logs=LogSettings(kms_key_arn=KEY, retention_days=90),
        access_logs=AccessLogs(bucket="alb-access-logs"),
        compute_mode=compute_mode,
        services=ServicesOptions(service_sizes={"api": ServiceSize(cpu=512, memory=1024)}, service_min_tasks=3),
        tags={"team": "video"},
    )


def wire(value: Any) -> Any:
    """A Python Args value as a program in another language writes it: a dataclass as an object of its camelCase
    fields (less the Python-only resource hand-offs, left at their empty defaults here), enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if isinstance(v, tuple | list) and not v and "Resource" in str(f.type):
                continue  # a resource hand-off (``dependencies``), Python only
            found[camel_case(f.name)] = wire(v)
        return found
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(wire(k)): wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    assert not isinstance(value, pulumi.Resource), value
    return value


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderProcess]:
    with start_provider() as running:
        yield running


def build_tier(compute_mode: ComputeMode) -> Recording:
    def program() -> None:
        AppTier("app", tier_args(PublicZone("zone", ZONE_ARGS), compute_mode))

    return run_component(program, project="streaming", stack="prod")


@pytest.mark.parametrize(("mode", "count"), [(ComputeMode.ECS_AND_EC2_FLEET, 195), (ComputeMode.ECS_ONLY, 185)])
def test_construct_app_tier_with_the_zones_outputs_registers_the_children_of_the_python_path(provider, mode, count):
    python = build_tier(mode)
    inputs = {**wire(tier_args(None, mode)), "zone": ZONE_OUTPUTS}
    result = provider.construct(TIER, "app", inputs, project="streaming", stack="prod")
    same_registrations(without_zone(python), result.recording)
    (component,) = python.of_type(TIER)
    assert result.urn == component.urn and result.recording.by_urn(result.urn).type == TIER
    assert len(result.recording.resources) == count  # the component and its children
    assert result.state["originDomainName"] == "origin.video.example.com"
    assert result.state["apiEndpoint"] == "https://api.video.example.com/api/"
