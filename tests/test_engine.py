"""The offline engine records what the real engine would receive, in both modes."""

from __future__ import annotations

import json

import pytest

from offline.engine import UNKNOWN, Recording, iter_unknown_paths, load_stack_config, run_program
from offline.fakes import Invokes, UnknownInvokeError


def test_preview_mode_leaves_ids_unknown_and_update_mode_fills_them(recording):
    preview, update = recording("prod"), recording("prod", preview=False)
    assert sorted(r.urn for r in preview.resources) == sorted(r.urn for r in update.resources)
    subnet_p = next(r for r in preview.resources if r.type == "aws:ec2/subnet:Subnet")
    subnet_u = next(r for r in update.resources if r.urn == subnet_p.urn)
    assert subnet_p.inputs["vpcId"] == UNKNOWN and subnet_p.id is None
    assert subnet_u.inputs["vpcId"].startswith("vpc-") and subnet_u.id.startswith("subnet-")
    assert list(iter_unknown_paths(subnet_p.inputs)) == ["vpcId"]
    assert preview.outputs["vpcId"] == UNKNOWN
    assert update.outputs["vpcId"].startswith("vpc-")


def test_records_carry_parent_dependencies_and_options(recording):
    rec = recording("prod")
    nat = rec.named("network-nat-us-west-2b")
    assert nat.parent == rec.named("network").urn
    assert set(nat.property_dependencies) >= {"allocationId", "subnetId"}
    assert rec.named("network-igw").urn in nat.dependencies  # depends_on=[igw]
    assert rec.named("network-flow-logs").protect is True
    assert rec.named("network-flow-logs").retain_on_delete is True
    assert nat.ignore_changes == ()


def test_records_use_the_engines_camel_case_property_names(recording):
    vpc = recording("dev").named("network-vpc")
    assert set(vpc.inputs) == {"cidrBlock", "enableDnsSupport", "enableDnsHostnames", "tags"}


def test_invokes_answer_realistically_per_region(recording):
    rec = recording("dev")
    tokens = {t for t, _ in rec.invokes}
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" in tokens
    zones = Invokes("us-west-1")("aws:index/getAvailabilityZones:getAvailabilityZones", {})
    assert zones["names"] == ["us-west-1b", "us-west-1c"] and zones["zoneIds"] == ["usw1-az3", "usw1-az1"]


def test_an_invoke_the_engine_does_not_know_is_an_error_not_an_empty_answer():
    with pytest.raises(UnknownInvokeError, match=r"aws:ec2/getAmi:getAmi is not modelled"):
        Invokes("us-west-2")("aws:ec2/getAmi:getAmi", {"mostRecent": True})


def test_an_unmodelled_region_is_refused():
    with pytest.raises(UnknownInvokeError, match="mars-north-1"):
        run_program("dev", config_overrides={"aws:region": "mars-north-1"})


def test_stack_config_applies_declared_defaults_then_the_stack_file():
    project, config = load_stack_config("dev")
    assert project == "streaming"
    assert config["streaming:azCount"] == "2"  # stack file
    assert config["streaming:publicSubnetPrefixLength"] == "22"  # Pulumi.yaml default
    assert config["streaming:interfaceEndpoints"] == "[]"  # Pulumi.yaml default of an array key
    assert config["aws:defaultTags"].startswith('{"tags": {')


def test_runs_are_isolated_from_each_other():
    first = run_program(
        "dev",
        config_overrides={
            "streaming:azCount": "3",
            "streaming:availabilityZoneIds": '["use2-az1", "use2-az2", "use2-az3"]',
        },
    )
    second = run_program("dev")
    assert len(first.of_type("aws:ec2/subnet:Subnet")) == 9
    assert len(second.of_type("aws:ec2/subnet:Subnet")) == 6


def test_a_recording_survives_the_json_round_trip_the_shared_session_cache_uses(recording):
    rec = recording("prod", preview=False)
    again = Recording.from_json(json.loads(json.dumps(rec.to_json())))
    assert again == rec
    assert len(again.resources) == len(rec.resources)
