"""Configuration that can't silently go wrong: one test per class of bad input, through load() as the program
calls it (the program runs under the offline engine), each asserting the exact problem lines and that nothing
was registered."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml

import settings as stack_settings
from offline.engine import PROJECT_DIR, run_program
from settings import ConfigError, parse
from tests.test_settings import US_EAST_2, US_WEST_2, raw_config

PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"


def rejected(stack: str, **overrides: object) -> list[str]:
    """Run the program with these keys set; it must stop in load() with a ConfigError, registering nothing."""
    config = {
        (k if ":" in k else f"streaming:{k}"): v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()
    }
    with pytest.raises(ConfigError) as info:
        run_program(stack, config_overrides=config)
    assert info.value.recording.resources == []  # type: ignore[attr-defined]
    assert str(info.value).startswith(f"invalid configuration for stack {stack!r}")
    assert isinstance(info.value, pulumi.RunError)  # the CLI prints a RunError without a stack trace
    return info.value.problems


def test_unknown_keys_are_rejected_with_the_closest_known_key():
    assert rejected("dev", azcount=3, dbBackupRetentionDay=35, edgeWafAnonymousIPList="true") == [
        "streaming:azcount: got an unknown key; allowed: a key Pulumi.yaml declares (did you mean streaming:azCount?)",
        "streaming:dbBackupRetentionDay: got an unknown key; allowed: a key Pulumi.yaml declares "
        "(did you mean streaming:dbBackupRetentionDays?)",
        "streaming:edgeWafAnonymousIPList: got an unknown key; allowed: a key Pulumi.yaml declares "
        "(did you mean streaming:edgeWafAnonymousIpList?)",
    ]


def test_the_prod_stack_must_run_environment_prod_unless_overridden():
    assert rejected("prod", environment="dev") == [
        "streaming:environment: got 'dev'; allowed: prod on stack 'prod' "
        "(or set allowEnvironmentMismatch: true to run it as dev)"
    ]
    assert rejected("dev", environment="prod", azCount=3, natGatewayStrategy="ONE_PER_AZ")[0] == (
        "streaming:environment: got 'prod'; allowed: dev or staging on stack 'dev', whose name is not prod or "
        "prod-* (or set allowEnvironmentMismatch: true)"
    )
    # The documented override lets the operator do it on purpose.
    raw = raw_config("prod", environment="staging", allowEnvironmentMismatch="true")
    assert parse(raw, stack="prod", region_azs=US_WEST_2).is_prod is False


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("instanceType", "t3.large\n"),
        ("drRegion", "us-west-2\n"),
        ("edgeOriginShieldRegion", "us-east-2\n"),
        ("hostedZoneId", "Z3AADJGX6KTTL2\n"),
        ("ffmpegLayerArn", "arn:aws:lambda:us-east-2:111122223333:layer:ffmpeg:1\n"),
        ("edgeOriginStandbyZoneId", "Z3AADJGX6KTTL2\n"),
        ("cacheNodeType", "cache.t4g.micro\n"),
        ("dbInstanceClass", "db.t4g.medium\n"),
        ("domainName", "dev.video.example.com\n"),
    ],
)
def test_patterns_match_whole_values_not_before_a_final_newline(key, value):
    with pytest.raises(ConfigError) as info:
        parse(raw_config("dev", **{key: value}), stack="dev", region_azs=US_EAST_2)
    assert [p.split(";")[0] for p in info.value.problems] == [f"streaming:{key}: got {value!r}"]


def test_a_trailing_newline_stops_the_program_before_registration():
    assert rejected("dev", instanceType="t3.medium\n", corsAllowedOrigins=["https://dev.video.example.com\n"]) == [
        "streaming:instanceType: got 't3.medium\\n'; allowed: an EC2 instance type botocore's EC2 InstanceType enum "
        "lists, such as t3.large or m7g.2xlarge",
        "streaming:corsAllowedOrigins: got 'https://dev.video.example.com\\n'; allowed: origins such as "
        "https://video.example.com or http://localhost:3000 (no path, no wildcard)",
    ]


def test_values_aws_refuses_though_they_pass_a_pattern():
    assert rejected(
        "dev",
        vpcCidr="10.30.0.0/255.255.0.0",
        instanceType="t3.4xlarge",
        dynamodbReplicaRegions=["us-wst-2"],
        edgeWafGeoBlockCountries=["UK"],
        interfaceEndpoints=["com.amazonaws.us-east-2.logs"],
        domainName="a" * 50 + ".example.com",
        ffmpegLayerArn="arn:aws:lambda:us-west-2:111122223333:layer:ffmpeg:1",
    ) == [
        "streaming:vpcCidr: got '10.30.0.0/255.255.0.0'; allowed: an IPv4 network a.b.c.d/len inside 10.0.0.0/8, "
        "172.16.0.0/12 or 192.168.0.0/16 with no host bits set",
        "streaming:interfaceEndpoints: got 'com.amazonaws.us-east-2.logs'; allowed: the short service name without "
        "com.amazonaws.<region>. (for example logs); the prefix is added",
        "streaming:instanceType: got 't3.4xlarge'; allowed: an EC2 instance type botocore's EC2 InstanceType enum "
        "lists, such as t3.large or m7g.2xlarge",
        "streaming:dynamodbReplicaRegions: got 'us-wst-2'; allowed: an AWS region name such as us-east-2 (one that "
        "botocore's endpoint data lists)",
        "streaming:edgeWafGeoBlockCountries: got 'UK'; allowed: ISO 3166-1 alpha-2 country codes AWS WAF accepts, "
        "such as KP or GB (the WAFV2 CountryCode enum)",
        "streaming:domainName: got '" + "a" * 50 + ".example.com'; allowed: a name of at most 57 characters: the "
        "regional certificate's first name origin.aaaaaaaaaaaaa... is 69 octets, and ACM allows 64",
        "streaming:ffmpegLayerArn: got 'arn:aws:lambda:us-west-2:111122223333:layer:ffmpeg:1'; allowed: a layer in "
        "the stack's region us-east-2 (Lambda attaches layers of its own region only)",
    ]


def test_a_region_that_does_not_exist_is_rejected():
    # The offline engine itself refuses an unmodelled region, so this one goes through parse(), load()'s core.
    with pytest.raises(ConfigError) as info:
        parse(raw_config("dev", **{"aws:region": "us-wst-2"}), stack="dev", region_azs=[])
    assert info.value.problems[0] == (
        "aws:region: got 'us-wst-2'; allowed: an AWS region name, for example us-west-2 (one that botocore's "
        "endpoint data lists)"
    )


def test_component_constraints_run_before_the_first_registration():
    # ObservabilityArgs refuses a fleet with asg_min_size 0; before, this failed after 317 registrations.
    assert rejected("dev", computeMode="ECS_AND_EC2_FLEET", asgMinSize=0, asgDesiredCapacity=0) == [
        "streaming:asgMinSize: got 0; allowed: 1 or more with asg_name"
    ]


def test_combinations_that_leave_the_platform_broken():
    assert rejected("dev", natGatewayStrategy="NONE") == [
        "streaming:interfaceEndpoints: got []; allowed: with natGatewayStrategy NONE, endpoints for what tasks need "
        "without internet egress: add ecr.api, ecr.dkr, logs, secretsmanager"
    ]
    assert rejected("prod", alarmEmails=[], cognitoCallbackUrls=["http://localhost:3000/auth/callback"]) == [
        "streaming:cognitoCallbackUrls: got 'http://localhost:3000/auth/callback'; allowed: https:// URLs when "
        "environment is prod (no http://localhost)",
        "streaming:alarmEmails: got []; allowed: at least one address when environment is prod (alarms nobody "
        "receives page nobody)",
    ]


def test_secret_values_never_reach_the_error_and_secret_keys_are_declared_secret():
    found = rejected("dev", edgeSignedUrlPublicKey=PRIVATE_KEY, corsAllowedOrigins=[PRIVATE_KEY])
    assert found == [
        "streaming:corsAllowedOrigins: got <redacted: looks like a secret, 86 characters>; allowed: origins such as "
        "https://video.example.com or http://localhost:3000 (no path, no wildcard)",
        "streaming:edgeSignedUrlPublicKey: got <secret, 86 characters>; allowed: a PEM public key "
        "(-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----), or empty",
    ]
    assert not any("MIIE" in p for p in found)
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert {k for k, d in declared.items() if d.get("secret")} == {"edgeSignedUrlPublicKey"}
    assert [k.name for k in stack_settings.KEYS if k.secret] == ["edgeSignedUrlPublicKey"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"dbAllocatedStorageGb": 10, "dbMaxAllocatedStorageGb": -5},
            [
                "streaming:dbAllocatedStorageGb: got 10; allowed: an integer from 20 to 65536",
                "streaming:dbMaxAllocatedStorageGb: got -5; allowed: an integer from 20 to 65536",
            ],
        ),
        (
            {"ecsServiceSizes": ["api=²/1024"]},
            [
                "streaming:ecsServiceSizes: got 'api=²/1024'; allowed: CPU/MEMORY of a Fargate size, CPU one of 256, "
                "512, 1024, 2048, 4096, 8192, 16384 (for example 512/1024)"
            ],
        ),
        (
            {"appSubnetPrefixLength": 16},
            [
                "streaming:appSubnetPrefixLength: got 16; allowed: longer subnet prefixes: 2 AZs need 2 blocks of /15 "
                "for the public /22, app /16 and data /22 subnets (a /14 in all), more than the largest VPC, a /16, "
                "holds"
            ],
        ),
        (
            {"segmentDurationSeconds": 1},
            ["streaming:segmentDurationSeconds: got 1; allowed: an integer from 2 to 10"],
        ),
        ({"dbCpuAlarmPercent": "80.5"}, ["streaming:dbCpuAlarmPercent: got '80.5'; allowed: an integer from 1 to 100"]),
        (
            {"ecsCpuAlarmPercent": "high"},
            ["streaming:ecsCpuAlarmPercent: got 'high'; allowed: an integer from 61 to 100"],
        ),
        ({"azCount": "two"}, ["streaming:azCount: got 'two'; allowed: an integer from 2 to 6"]),
        (
            {"transcodeMemoryMb": "lots"},
            ["streaming:transcodeMemoryMb: got 'lots'; allowed: an integer from 128 to 10240"],
        ),
    ],
)
def test_smaller_classes_exact_messages(overrides, expected):
    with pytest.raises(ConfigError) as info:
        parse(raw_config("dev", **overrides), stack="dev", region_azs=US_EAST_2)
    assert info.value.problems == expected


def test_smaller_classes_through_the_program():
    assert rejected("dev", ecsServiceSizes=["api=²/1024"], dbAllocatedStorageGb=10, dbMaxAllocatedStorageGb=-5) == [
        "streaming:ecsServiceSizes: got 'api=²/1024'; allowed: CPU/MEMORY of a Fargate size, CPU one of 256, 512, "
        "1024, 2048, 4096, 8192, 16384 (for example 512/1024)",
        "streaming:dbAllocatedStorageGb: got 10; allowed: an integer from 20 to 65536",
        "streaming:dbMaxAllocatedStorageGb: got -5; allowed: an integer from 20 to 65536",
    ]


def test_the_documented_segment_range_is_what_passes():
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]["segmentDurationSeconds"]
    assert "2 to 10 s" in declared["description"]
    ok = parse(
        raw_config("dev", segmentDurationSeconds=2, edgeManifestTtlSeconds=1),
        stack="dev",
        region_azs=US_EAST_2,
    )
    assert ok.media.segment_duration_seconds == 2


def test_every_declared_key_is_read_and_every_read_key_is_declared(monkeypatch):
    read: list[str] = []
    original = pulumi.Config.get

    def spy(self: pulumi.Config, key: str, default: str | None = None) -> str | None:
        read.append(self.full_key(key))
        return original(self, key, default)

    monkeypatch.setattr(pulumi.Config, "get", spy)
    # Valid except for one component constraint, so load() reads every key before it raises.
    rejected("dev", computeMode="ECS_AND_EC2_FLEET", asgMinSize=0, asgDesiredCapacity=0)
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert sorted(k for k in read if k.startswith("streaming:")) == sorted(f"streaming:{k}" for k in declared)
    # + autoScalingServiceLinkedRole, cognitoSesSender, edgeWafMediaRateLimit, apiGatewayCloudWatchRole,
    # zoneParentDomain, zoneDelegationConfirmed, ecsServiceImageTags, ecsWaitForSteadyState
    assert len(declared) == len(stack_settings.KEYS) == 105
