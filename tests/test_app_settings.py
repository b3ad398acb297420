"""Every application-tier settings rule rejects a bad value naming the key, the value and what is allowed;
good values become AppSettings exactly as AppTierArgs wants them."""

from __future__ import annotations

import pytest
from streaming_platform.app.tier import (
    SERVICE_NAMES,
    AppTierArgs,
    CapacityStrategy,
    CognitoMfa,
    ComputeMode,
    ServiceSize,
)

from settings import parse
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config

IMAGES = [f"{s}=ghcr.io/acme/{s}:1.4.2" for s in SERVICE_NAMES]
DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"),
    [
        (
            "dev",
            {"computeMode": "EC2_ONLY"},
            "streaming:computeMode: got 'EC2_ONLY'; allowed: ECS_AND_EC2_FLEET | ECS_ONLY",
        ),
        ("dev", {"hostedZoneId": "zone-1"}, "streaming:hostedZoneId: got 'zone-1'; allowed: a Route 53 hosted zone id"),
        (
            "dev",
            {"asgExtraInstanceTypes": ["t3a"]},
            "streaming:asgExtraInstanceTypes: got 't3a'; allowed: an EC2 instance type botocore's EC2 InstanceType",
        ),
        (
            "dev",
            {"asgExtraInstanceTypes": ["t3.medium"]},
            "streaming:asgExtraInstanceTypes: got 't3.medium'; allowed: types other than instanceType (t3.medium)",
        ),
        (
            "dev",
            {"asgExtraInstanceTypes": ["t4g.medium"]},
            "streaming:asgExtraInstanceTypes: got 't4g.medium'; allowed: x86_64 types, the architecture of",
        ),
        (
            "dev",
            {"asgExtraInstanceTypes": ["t3a.medium", "t3a.medium"]},
            "streaming:asgExtraInstanceTypes: got ['t3a.medium', 't3a.medium']; allowed: each instance type once",
        ),
        (
            "dev",
            {"computeMode": "ECS_AND_EC2_FLEET", "asgExtraInstanceTypes": []},
            "streaming:asgExtraInstanceTypes: got []; allowed: at least one type when computeMode is ECS_AND_EC2_FLEET",
        ),
        (
            "dev",
            {"asgOnDemandBaseCapacity": -1},
            "streaming:asgOnDemandBaseCapacity: got -1; allowed: an integer from 0 to 500",
        ),
        (
            "dev",
            {"asgOnDemandBaseCapacity": 4},
            "streaming:asgOnDemandBaseCapacity: got 4; allowed: at most asgMaxSize (3)",
        ),
        ("prod", {"asgOnDemandBaseCapacity": 0}, "streaming:asgOnDemandBaseCapacity: got 0; allowed: at least 1 when"),
        (
            "dev",
            {"asgOnDemandPercentageAboveBase": 101},
            "streaming:asgOnDemandPercentageAboveBase: got 101; allowed: an integer from 0 to 100",
        ),
        (
            "dev",
            {"ecsServiceImageTags": ["api=latest"]},
            "streaming:ecsServiceImageTags: got 'api=latest'; allowed: an image tag other than latest",
        ),
        (
            "dev",
            {"ecsServiceImageTags": ["api=.hidden"]},
            "streaming:ecsServiceImageTags: got 'api=.hidden'; allowed: an image tag other than latest",
        ),
        (
            "dev",
            {"ecsServiceImageTags": ["search=1.0"]},
            "streaming:ecsServiceImageTags: got 'search=1.0'; allowed: SERVICE=TAG with SERVICE one of frontend",
        ),
        (
            "dev",
            {"ecsServiceImageTags": ["api=1.0", "api=1.1"]},
            "streaming:ecsServiceImageTags: got 'api=1.1'; allowed: each service once",
        ),
        (
            "dev",
            {"ecsServiceImages": ["api=ghcr.io/acme/api:1.0"], "ecsServiceImageTags": ["api=1.0"]},
            "streaming:ecsServiceImageTags: got 'api=1.0'; allowed: services without an ecsServiceImages entry",
        ),
        (
            "prod",
            {"ecsWaitForSteadyState": False},
            "streaming:ecsWaitForSteadyState: got False; allowed: true when environment is prod",
        ),
        (
            "dev",
            {"ecsServiceImages": [*IMAGES, "search=ghcr.io/acme/search:1.0"]},
            "streaming:ecsServiceImages: got 'search=ghcr.io/acme/search:1.0'; allowed: SERVICE=IMAGE with SERVICE",
        ),
        (
            "dev",
            {"ecsServiceImages": [*IMAGES, "api=ghcr.io/acme/api:2.0"]},
            "streaming:ecsServiceImages: got 'api=ghcr.io/acme/api:2.0'; allowed: each service once",
        ),
        (
            "dev",
            {"ecsServiceImages": [*IMAGES[:1], "api=ghcr.io/acme/api:latest", *IMAGES[2:]]},
            "streaming:ecsServiceImages: got 'api=ghcr.io/acme/api:latest'; allowed: an image reference pinned",
        ),
        (
            "dev",
            {"ecsServiceImages": [*IMAGES[:1], "api=ghcr.io/acme/api", *IMAGES[2:]]},
            "streaming:ecsServiceImages: got 'api=ghcr.io/acme/api'; allowed: an image reference pinned",
        ),
        ("dev", {"ecsTaskCpu": 300}, "streaming:ecsTaskCpu: got 300; allowed: one of 256, 512, 1024"),
        (
            "dev",
            {"ecsTaskMemory": 4096},
            "streaming:ecsTaskMemory: got 4096; allowed: a memory size Fargate offers for 256 CPU units: 512, 1024",
        ),
        (
            "dev",
            {"ecsTaskCpu": 1024, "ecsTaskMemory": 1024},
            "streaming:ecsTaskMemory: got 1024; allowed: a memory size Fargate offers for 1024 CPU units: 2048 to 8192",
        ),
        (
            "dev",
            {"ecsServiceSizes": ["api=512/512"]},
            "streaming:ecsServiceSizes: got 'api=512/512'; allowed: CPU/MEMORY of a Fargate size",
        ),
        (
            "dev",
            {"ecsServiceSizes": ["api:512/1024"]},
            "streaming:ecsServiceSizes: got 'api:512/1024'; allowed: SERVICE=CPU/MEMORY with SERVICE one of",
        ),
        (
            "dev",
            {"ecsServiceSizes": ["api=512/1024", "api=1024/2048"]},
            "streaming:ecsServiceSizes: got 'api=1024/2048'; allowed: each service once",
        ),
        ("dev", {"ecsFargateBase": 101}, "streaming:ecsFargateBase: got 101; allowed: an integer from 0 to 100"),
        (
            "prod",
            {"ecsFargateBase": 0},
            "streaming:ecsFargateBase: got 0; allowed: at least 1 when environment is prod",
        ),
        ("dev", {"ecsFargateWeight": -1}, "streaming:ecsFargateWeight: got -1; allowed: an integer from 0 to 1000"),
        ("dev", {"ecsFargateSpotWeight": 1001}, "streaming:ecsFargateSpotWeight: got 1001; allowed: an integer from 0"),
        (
            "dev",
            {"ecsFargateWeight": 0, "ecsFargateSpotWeight": 0},
            "streaming:ecsFargateSpotWeight: got 0; allowed: above 0 when ecsFargateWeight is 0",
        ),
        ("dev", {"ecsMinTasks": 0}, "streaming:ecsMinTasks: got 0; allowed: an integer from 1 to 100"),
        ("dev", {"ecsMaxTasks": 1}, "streaming:ecsMaxTasks: got 1; allowed: an integer from ecsMinTasks (2) to 100"),
        ("prod", {"ecsMinTasks": 2}, "streaming:ecsMinTasks: got 2; allowed: at least 3 (one task per AZ) when"),
        (
            "dev",
            {"apiThrottleRateLimit": 0},
            "streaming:apiThrottleRateLimit: got 0; allowed: an integer from 1 to 10000",
        ),
        (
            "dev",
            {"apiThrottleBurstLimit": 5001},
            "streaming:apiThrottleBurstLimit: got 5001; allowed: an integer from 1",
        ),
        ("dev", {"cognitoMfa": "REQUIRED"}, "streaming:cognitoMfa: got 'REQUIRED'; allowed: OFF | OPTIONAL | ON"),
        ("prod", {"cognitoMfa": "OFF"}, "streaming:cognitoMfa: got 'OFF'; allowed: OPTIONAL or ON when environment is"),
        (
            "dev",
            {"cognitoCallbackUrls": ["http://video.example.com/auth/callback"]},
            "streaming:cognitoCallbackUrls: got 'http://video.example.com/auth/callback'; allowed: URLs such as",
        ),
        (
            "dev",
            {"cognitoCallbackUrls": ["https://video.example.com/cb?next=/"]},
            "streaming:cognitoCallbackUrls: got 'https://video.example.com/cb?next=/'; allowed: URLs such as",
        ),
        ("dev", {"appLogRetentionDays": 10}, "streaming:appLogRetentionDays: got 10; allowed: one of 1, 3, 5, 7, 14"),
    ],
)
def test_each_app_setting_rule_names_key_value_and_what_is_allowed(stack, overrides, expected):
    found = problems(stack, **overrides)
    assert any(expected in p for p in found), found


def test_the_stacks_parse_into_the_app_settings_they_declare():
    dev_app = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2).app
    dev = dev_app.tier_args(advanced_security_enforced=False)
    assert dev["compute_mode"] is ComputeMode.ECS_ONLY
    assert dev["services"].capacity == CapacityStrategy(fargate_base=0, fargate_weight=0, fargate_spot_weight=1)
    assert dev["identity"].cognito_mfa is CognitoMfa.OPTIONAL
    assert dev["identity"].advanced_security_enforced is False
    assert dev["services"].default_service_size == ServiceSize(256, 512)
    # No image in either stack file: every service runs the public default image until a tag is set.
    assert (dev["services"].service_images, dev["services"].service_image_tags) == ({}, {})
    assert dev["services"].wait_for_steady_state is False
    prod_app = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2).app
    prod = prod_app.tier_args(advanced_security_enforced=True)
    assert prod["compute_mode"] is ComputeMode.ECS_AND_EC2_FLEET
    assert prod["services"].capacity == CapacityStrategy(fargate_base=3, fargate_weight=1, fargate_spot_weight=3)
    assert prod["services"].service_sizes == {"api": ServiceSize(1024, 2048), "video": ServiceSize(1024, 2048)}
    assert tuple(prod["fleet"].fleet_extra_instance_types) == ("t3a.large", "m6i.large", "m5.large")
    assert prod["identity"].cognito_mfa is CognitoMfa.ON
    assert prod_app.hosted_zone_id == "Z0EXAMPLEVIDEOPROD"  # prod adopts its registrar-delegated zone
    assert (prod["services"].service_images, prod["services"].service_image_tags) == ({}, {})
    assert prod["services"].wait_for_steady_state is True


def test_digest_pinned_images_and_an_adopted_zone_are_accepted():
    images = [f"{s}=111122223333.dkr.ecr.us-west-2.amazonaws.com/streaming/{s}@{DIGEST}" for s in SERVICE_NAMES]
    settings = parse(
        raw_config("prod", ecsServiceImages=images, hostedZoneId="Z0123456789ABCDEFGHIJ"),
        stack="prod",
        region_azs=US_WEST_2,
    )
    assert settings.app.hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    services = settings.app.tier_args(advanced_security_enforced=True)["services"]
    assert services.service_images["api"].endswith(DIGEST)


def test_own_repository_tags_and_external_images_reach_the_services_options():
    settings = parse(
        raw_config("dev", ecsServiceImageTags=["api=1.4.2", "video=2024.06.01_1"], ecsServiceImages=IMAGES[:1]),
        stack="dev",
        region_azs=US_EAST_2,  # the dev stack pins its zones by id (availabilityZoneIds): names alone cannot match
    )
    services = settings.app.tier_args(advanced_security_enforced=False)["services"]
    assert services.service_image_tags == {"api": "1.4.2", "video": "2024.06.01_1"}
    assert services.service_images == {"frontend": "ghcr.io/acme/frontend:1.4.2"}


def test_app_settings_fields_are_app_tier_args_fields():
    settings = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2)
    names = set(AppTierArgs.__dataclass_fields__)
    grouped = settings.app.tier_args(advanced_security_enforced=True)
    assert set(grouped) == {"compute_mode", "fleet", "services", "private_api", "identity"} <= names
    fleet = grouped["fleet"]
    assert (fleet.instance_type, fleet.asg_min_size, fleet.asg_desired_capacity, fleet.asg_max_size) == (
        settings.app.instance_type,
        settings.app.asg_min_size,
        settings.app.asg_desired_capacity,
        settings.app.asg_max_size,
    )
    assert grouped["services"].service_images == {}
    assert grouped["identity"].advanced_security_enforced is True
