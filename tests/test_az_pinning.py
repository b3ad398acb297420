"""The AZs are pinned by zone ID in stack config: their order fixes the CIDR blocks, whatever the region lists."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from offline import fakes
from offline.engine import run_program
from settings import ConfigError, parse
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config

SUBNET = "aws:ec2/subnet:Subnet"

# The subnets of the stack files as deployed before the AZs were pinned (name -> CIDR); they must never move.
DEPLOYED = {
    "dev": {
        "network-public-us-east-2a": "10.20.16.0/22",
        "network-app-us-east-2a": "10.20.0.0/20",
        "network-data-us-east-2a": "10.20.20.0/22",
        "network-public-us-east-2b": "10.20.48.0/22",
        "network-app-us-east-2b": "10.20.32.0/20",
        "network-data-us-east-2b": "10.20.52.0/22",
    },
    "prod": {
        "network-public-us-west-2a": "10.30.16.0/22",
        "network-app-us-west-2a": "10.30.0.0/20",
        "network-data-us-west-2a": "10.30.20.0/22",
        "network-public-us-west-2b": "10.30.48.0/22",
        "network-app-us-west-2b": "10.30.32.0/20",
        "network-data-us-west-2b": "10.30.52.0/22",
        "network-public-us-west-2c": "10.30.80.0/22",
        "network-app-us-west-2c": "10.30.64.0/20",
        "network-data-us-west-2c": "10.30.84.0/22",
    },
}


def subnets(rec: Any) -> dict[str, str]:
    return {s.name: s.inputs["cidrBlock"] for s in rec.of_type(SUBNET)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_files_keep_every_deployed_subnet_cidr(recording, stack):
    assert subnets(recording(stack)) == DEPLOYED[stack]


def test_prod_pins_its_zones_by_id_in_block_order():
    settings = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2)
    assert settings.network.availability_zone_ids == ("usw2-az1", "usw2-az2", "usw2-az3")
    assert settings.availability_zones == ("us-west-2a", "us-west-2b", "us-west-2c")
    assert settings.warnings == ()


def test_an_unavailable_pinned_zone_is_a_warning_and_nothing_is_renumbered():
    impaired = [n for n in US_WEST_2 if n != "us-west-2b"]
    settings = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2, available=impaired)
    assert settings.availability_zones == ("us-west-2a", "us-west-2b", "us-west-2c")
    assert settings.warnings == (
        "streaming:availabilityZoneIds: usw2-az2 (us-west-2b) is not available in us-west-2 now; its subnets keep "
        "their CIDR blocks (nothing is renumbered), but resources placed there may fail to create until it recovers",
    )


def test_unpinned_zones_follow_what_is_available_and_say_so():
    # What pinning prevents: unpinned, an impaired us-west-2b shifts us-west-2c into block 1.
    raw = raw_config("dev", availabilityZoneIds=[], **{"aws:region": "us-west-2"}, ffmpegLayerArn=None)
    raw["streaming:transcodeBackend"] = "mediaconvert"
    impaired = [n for n in US_WEST_2 if n != "us-west-2b"]
    settings = parse(raw, stack="dev", region_azs=US_WEST_2, available=impaired)
    assert settings.availability_zones == ("us-west-2a", "us-west-2c")
    assert settings.warnings == (
        "streaming:availabilityZoneIds: not set; the first 2 available AZs of us-west-2 are used (us-west-2a, "
        "us-west-2c), and an AZ outage would renumber the subnets; pin them: ['usw2-az1', 'usw2-az3']",
    )


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"),
    [
        (
            "prod",
            {"availabilityZoneIds": []},
            "streaming:availabilityZoneIds: got []; allowed: 3 zone ids when environment is prod (usw2-az1 "
            "(us-west-2a), usw2-az2 (us-west-2b), usw2-az3 (us-west-2c), usw2-az4 (us-west-2d))",
        ),
        (
            "dev",
            {"availabilityZoneIds": ["use2-az1", "usw2-az2"]},
            "streaming:availabilityZoneIds: got ['use2-az1', 'usw2-az2']; allowed: zone ids of us-east-2: use2-az1 "
            "(us-east-2a), use2-az2 (us-east-2b), use2-az3 (us-east-2c)",
        ),
        (
            "dev",
            {"availabilityZoneIds": ["use2-az1", "use2-az2", "use2-az3"]},
            "streaming:azCount: got 2; allowed: 3, the number of availabilityZoneIds (use2-az1, use2-az2, use2-az3)",
        ),
        (
            "dev",
            {"availabilityZoneIds": ["us-east-2a", "use2-az2"]},
            "streaming:availabilityZoneIds: got 'us-east-2a'; allowed: zone ids such as usw2-az1",
        ),
        ("dev", {"availabilityZoneIds": ["use2-az1", "use2-az1"]}, "streaming:availabilityZoneIds: got "),
    ],
)
def test_pins_that_cannot_hold_are_rejected_naming_the_key(stack, overrides, expected):
    found = problems(stack, **overrides)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_program_warns_and_keeps_the_cidrs_when_a_pinned_zone_is_impaired(monkeypatch):
    answer = fakes.Invokes._availability_zones

    def impaired(self: fakes.Invokes, args: dict[str, Any]) -> dict[str, Any]:
        zones = answer(self, args)
        if args.get("state") == "available":  # us-west-2b is impaired: DescribeAvailabilityZones leaves it out
            keep = [i for i, n in enumerate(zones["names"]) if n != "us-west-2b"]
            zones = {**zones, **{k: [zones[k][i] for i in keep] for k in ("names", "zoneIds", "groupNames")}}
        return zones

    warned: list[str] = []
    monkeypatch.setattr(fakes.Invokes, "_availability_zones", impaired)
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warned.append(message))
    rec = run_program("prod")
    assert subnets(rec) == DEPLOYED["prod"]
    assert [w for w in warned if "availabilityZoneIds" in w] == [
        "streaming:availabilityZoneIds: usw2-az2 (us-west-2b) is not available in us-west-2 now; its subnets keep "
        "their CIDR blocks (nothing is renumbered), but resources placed there may fail to create until it recovers"
    ]


def test_the_dev_stack_pins_its_two_zones():
    settings = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2)
    assert (settings.network.availability_zone_ids, settings.availability_zones) == (
        ("use2-az1", "use2-az2"),
        ("us-east-2a", "us-east-2b"),
    )


def test_a_region_without_zone_ids_cannot_take_pins():
    with pytest.raises(ConfigError) as info:
        parse(raw_config("dev"), stack="dev", region_azs=list(US_EAST_2))
    assert info.value.problems[0].startswith("streaming:availabilityZoneIds: got ['use2-az1', 'use2-az2']; allowed:")


def replica_azs(rec: Any) -> dict[str, str]:
    return {
        r.name: r.inputs["availabilityZone"]
        for r in rec.of_type("aws:rds/instance:Instance")
        if "replicateSourceDb" in r.inputs
    }


def test_each_replica_keeps_its_configured_az_when_an_az_is_added():
    three = {"streaming:dbReadReplicaZoneIds": json.dumps(["usw2-az2", "usw2-az3", "usw2-az2"])}
    four = {
        **three,
        "streaming:azCount": "4",
        "streaming:cacheNumNodes": "4",
        "streaming:asgMinSize": "4",
        "streaming:asgDesiredCapacity": "4",
        "streaming:ecsMinTasks": "4",
        "streaming:availabilityZoneIds": json.dumps(["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"]),
    }
    before, after = (replica_azs(run_program("prod", config_overrides=c)) for c in (three, four))
    # Round-robin over the non-primary AZs would have moved replica-3 from us-west-2b to us-west-2d (a replacement).
    assert (
        before
        == after
        == {
            "data-postgres-replica-1": "us-west-2b",
            "data-postgres-replica-2": "us-west-2c",
            "data-postgres-replica-3": "us-west-2b",
        }
    )


def test_a_replica_zone_must_be_one_of_the_stacks_azs():
    assert problems("prod", dbReadReplicaZoneIds=["usw2-az4"]) == [
        "streaming:dbReadReplicaZoneIds: got ['usw2-az4']; allowed: zone ids of the stack's AZs: usw2-az1 "
        "(us-west-2a), usw2-az2 (us-west-2b), usw2-az3 (us-west-2c)"
    ]


def test_a_blank_pinned_zone_id_is_rejected_with_the_other_problems():
    found = problems("dev", availabilityZoneIds=["", "use2-az2"], vpcCidr="10.20.0.0/12")
    assert found == [
        "streaming:availabilityZoneIds: got ''; allowed: zone ids such as usw2-az1 (not names such as us-west-2a)",
        "streaming:vpcCidr: got '10.20.0.0/12'; allowed: an IPv4 network a.b.c.d/len inside 10.0.0.0/8, "
        "172.16.0.0/12 or 192.168.0.0/16 with no host bits set",
    ]


def test_zones_whose_id_is_not_known_are_not_offered_as_pins():
    region = {"us-west-2a": "", "us-west-2b": "usw2-az2", "us-west-2c": "usw2-az3"}
    raw = raw_config("prod", availabilityZoneIds=["usw2-az1", "usw2-az2", "usw2-az3"])
    with pytest.raises(ConfigError) as info:
        parse(raw, stack="prod", region_azs=region)
    assert info.value.problems == [
        "streaming:availabilityZoneIds: got ['usw2-az1', 'usw2-az2', 'usw2-az3']; allowed: zone ids of us-west-2: "
        "usw2-az2 (us-west-2b), usw2-az3 (us-west-2c)"
    ]
    with pytest.raises(ConfigError) as info:
        parse(raw_config("prod", availabilityZoneIds=[]), stack="prod", region_azs=list(region))
    assert info.value.problems == [
        "streaming:availabilityZoneIds: got []; allowed: 3 zone ids when environment is prod (none known)"
    ]
