"""Every settings rule rejects a bad value with a message naming the key, the value and what is allowed."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
import yaml
from streaming_platform.network.cidr_plan import Tier
from streaming_platform.network.multi_az import NatGatewayStrategy

import settings as stack_settings
from offline.engine import PROJECT_DIR, load_stack_config, run_program
from offline.fakes import REGION_AZS
from settings import ConfigError, Environment, parse
from settings.network import ENDPOINTS_WITHOUT_NAT

# The regions' AZs as the offline engine answers them: name -> zone ID, in the order the region lists them.
US_WEST_2 = dict(REGION_AZS["us-west-2"])
US_EAST_2 = dict(REGION_AZS["us-east-2"])
US_WEST_1 = dict(REGION_AZS["us-west-1"])


def raw_config(stack: str = "dev", **overrides: object) -> dict[str, str]:
    _, config = load_stack_config(stack)
    for key, value in overrides.items():
        full = key if ":" in key else f"streaming:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return config


def zones(stack: str) -> dict[str, str]:
    """The AZs of the stack's region (as its stack file names it)."""
    return dict(REGION_AZS[load_stack_config(stack)[1]["aws:region"]])


def problems(stack: str = "dev", azs: Mapping[str, str] | None = None, **overrides: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(raw_config(stack, **overrides), stack=stack, region_azs=zones(stack) if azs is None else azs)
    return info.value.problems


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"environment": None}, "streaming:environment: got None; allowed: a string (required"),
        ({"environment": "production"}, "streaming:environment: got 'production'; allowed: dev | staging | prod"),
        ({"aws:region": None}, "aws:region: got None; allowed: an AWS region name"),
        ({"azCount": 1}, "streaming:azCount: got 1; allowed: an integer from 2 to 6"),
        ({"azCount": 7}, "streaming:azCount: got 7; allowed: an integer from 2 to 6"),
        ({"azCount": "three"}, "streaming:azCount: got 'three'; allowed: an integer"),
        (
            {"vpcCidr": "8.8.0.0/16"},
            "streaming:vpcCidr: got '8.8.0.0/16'; allowed: an IPv4 network a.b.c.d/len inside 10.0.0.0/8",
        ),
        (
            {"vpcCidr": "10.0.0.1/16"},
            "streaming:vpcCidr: got '10.0.0.1/16'; allowed: an IPv4 network a.b.c.d/len inside",
        ),
        ({"vpcCidr": "not-a-cidr"}, "streaming:vpcCidr: got 'not-a-cidr'; allowed: an IPv4 network a.b.c.d/len inside"),
        ({"vpcCidr": "10.0.0.0/12"}, "streaming:vpcCidr: got '10.0.0.0/12'; allowed: a prefix length from /16 to /24"),
        (
            {"vpcCidr": "10.0.0.0/19"},
            "streaming:vpcCidr: got '10.0.0.0/19'; allowed: a network of /18 or larger: 2 AZs need 2 blocks of /19",
        ),
        ({"appSubnetPrefixLength": 29}, "streaming:appSubnetPrefixLength: got 29; allowed: an integer from 16 to 28"),
        ({"publicSubnetPrefixLength": 8}, "streaming:publicSubnetPrefixLength: got 8; allowed: an integer from 16"),
        ({"dataSubnetPrefixLength": "x"}, "streaming:dataSubnetPrefixLength: got 'x'; allowed: an integer"),
        (
            {"natGatewayStrategy": "PER_AZ"},
            "streaming:natGatewayStrategy: got 'PER_AZ'; allowed: ONE_PER_AZ | SINGLE | NONE",
        ),
        ({"interfaceEndpoints": ["s3"]}, "streaming:interfaceEndpoints: got 's3'; allowed: short AWS service names"),
        ({"interfaceEndpoints": ["ECR API"]}, "streaming:interfaceEndpoints: got 'ECR API'; allowed: short AWS"),
        (
            {"interfaceEndpoints": ["logs", "logs"]},
            "streaming:interfaceEndpoints: got ['logs', 'logs']; allowed: each service once",
        ),
        ({"flowLogRetentionDays": 10}, "streaming:flowLogRetentionDays: got 10; allowed: one of 1, 3, 5, 7, 14, 30"),
        ({"instanceType": "t3large"}, "streaming:instanceType: got 't3large'; allowed: an EC2 instance type"),
        ({"instanceType": "T3.large"}, "streaming:instanceType: got 'T3.large'; allowed: an EC2 instance type"),
        ({"instanceType": "t3.huge"}, "streaming:instanceType: got 't3.huge'; allowed: an EC2 instance type"),
        ({"cacheNodeType": "t4g.small"}, "streaming:cacheNodeType: got 't4g.small'; allowed: an ElastiCache node type"),
        ({"dbInstanceClass": "db.r7g"}, "streaming:dbInstanceClass: got 'db.r7g'; allowed: an RDS instance class"),
        (
            {"asgMinSize": 2, "asgDesiredCapacity": 1, "asgMaxSize": 3},
            "streaming:asgDesiredCapacity: got 1; allowed: asgMinSize <= asgDesiredCapacity <= asgMaxSize, "
            "here 2 <= 1 <= 3",
        ),
        (
            {"asgDesiredCapacity": 4, "asgMaxSize": 3},
            "streaming:asgDesiredCapacity: got 4; allowed: asgMinSize <= asgDesiredCapacity <= asgMaxSize",
        ),
        ({"asgMinSize": -1}, "streaming:asgMinSize: got -1; allowed: an integer from 0 to 500"),
        ({"asgMaxSize": 0}, "streaming:asgMaxSize: got 0; allowed: an integer from 1 to 500"),
        ({"domainName": "video"}, "streaming:domainName: got 'video'; allowed: a fully qualified DNS name"),
        ({"domainName": "-bad.example.com"}, "streaming:domainName: got '-bad.example.com'; allowed: a fully"),
        ({"domainName": "Video.Example.com"}, "streaming:domainName: got 'Video.Example.com'; allowed: a fully"),
        ({"domainName": "a" * 64 + ".example.com"}, "streaming:domainName: got 'aaaa"),
    ],
)
def test_each_rule_rejects_a_bad_value_naming_the_key(overrides, expected):
    found = problems(**overrides)
    assert any(p.startswith(expected) for p in found), found


def test_az_count_cannot_exceed_what_the_region_offers():
    found = problems(
        azs=US_WEST_1, azCount=3, transcodeBackend="mediaconvert", ffmpegLayerArn=None, **{"aws:region": "us-west-1"}
    )
    assert found == ["streaming:azCount: got 3; allowed: at most 2, the AZs us-west-1 offers (us-west-1b, us-west-1c)"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"azCount": 2, "availabilityZoneIds": ["usw2-az1", "usw2-az2"], "dbReadReplicaZoneIds": ["usw2-az2"]},
            "streaming:azCount: got 2; allowed: at least 3 when environment is prod",
        ),
        (
            {"natGatewayStrategy": "SINGLE"},
            "streaming:natGatewayStrategy: got 'SINGLE'; allowed: ONE_PER_AZ when environment is prod",
        ),
        ({"natGatewayStrategy": "NONE"}, "streaming:natGatewayStrategy: got 'NONE'; allowed: ONE_PER_AZ when"),
        (
            {"asgMinSize": 2, "asgDesiredCapacity": 2},
            "streaming:asgMinSize: got 2; allowed: at least 3 (one instance per AZ) when environment is prod",
        ),
    ],
)
def test_prod_cannot_weaken_redundancy(overrides, expected):
    found = problems("prod", **overrides)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_same_weakening_is_allowed_outside_prod():
    settings = parse(
        raw_config("dev", azCount=2, natGatewayStrategy="NONE", interfaceEndpoints=list(ENDPOINTS_WITHOUT_NAT)),
        stack="dev",
        region_azs=US_EAST_2,
    )
    assert settings.network.nat_gateway_strategy is NatGatewayStrategy.NONE


def test_every_problem_is_reported_at_once():
    found = problems(
        azCount=9, vpcCidr="172.32.0.0/16", natGatewayStrategy="MANY", instanceType="large", domainName="x"
    )
    assert [p.split(":")[1] for p in found] == [
        "domainName",
        "azCount",
        "vpcCidr",
        "natGatewayStrategy",
        "instanceType",
    ]
    assert len(found) == 5


def test_error_message_lists_every_problem_and_says_nothing_was_registered():
    with pytest.raises(ConfigError) as info:
        parse(raw_config(azCount=0, instanceType="x"), stack="dev", region_azs=US_EAST_2)
    message = str(info.value)
    assert message.startswith("invalid configuration for stack 'dev' (2 problems); nothing was registered:\n")
    assert "  - streaming:azCount: got 0;" in message
    assert "  - streaming:instanceType: got 'x';" in message


def test_invalid_config_registers_no_resources():
    with pytest.raises(ConfigError) as info:
        run_program("prod", config_overrides={"streaming:azCount": "2", "streaming:vpcCidr": "1.2.3.0/24"})
    assert info.value.recording.resources == []  # type: ignore[attr-defined]
    assert len(info.value.problems) == 2


def test_dev_settings():
    settings = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2)
    assert settings.environment is Environment.DEV
    assert settings.availability_zones == ("us-east-2a", "us-east-2b")
    assert settings.network.nat_gateway_strategy is NatGatewayStrategy.SINGLE
    assert settings.network.subnet_prefix_lengths == {Tier.PUBLIC: 22, Tier.APP: 20, Tier.DATA: 22}
    assert settings.app.instance_type == "t3.medium"
    assert not settings.is_prod


def test_prod_settings():
    settings = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2)
    assert settings.environment is Environment.PROD
    assert settings.availability_zones == ("us-west-2a", "us-west-2b", "us-west-2c")
    assert settings.network.nat_gateway_strategy is NatGatewayStrategy.ONE_PER_AZ
    assert settings.app.instance_type == "t3.large"
    assert (settings.app.asg_min_size, settings.app.asg_max_size) == (3, 12)
    assert settings.is_prod


def test_project_file_declares_exactly_the_settings_keys():
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    assert project["name"] == stack_settings.PROJECT
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    declared = project["config"]
    assert list(declared) == [k.name for k in stack_settings.KEYS]
    for key in stack_settings.KEYS:
        decl = declared[key.name]
        assert decl["type"] == key.type and decl["description"] == key.description, key.name
        assert decl.get("default", "<required>") == (key.default if not key.required else "<required>"), key.name
        if key.type == "array":
            assert decl["items"] == {"type": key.items}


def test_stack_files_only_set_declared_project_keys():
    declared = {k.full_name for k in stack_settings.KEYS}
    for stack in ("dev", "prod"):
        config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
        unknown = {k for k in config if k.startswith("streaming:")} - declared
        assert not unknown, (stack, unknown)
